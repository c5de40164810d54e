#pragma once
// Drives libp11faulty.so (tests/faulty_module) from a test: points the module at SoftHSM and at a
// control file and a log in a directory, through the environment that it and any child process
// (the p11signd binary) inherit.

#include <filesystem>
#include <string>

namespace p11signd::testing {

class FaultControl final {
 public:
  // Sets P11FAULTY_MODULE, P11FAULTY_CONTROL and P11FAULTY_LOG for this process and its children.
  explicit FaultControl(const std::filesystem::path& dir);

  // The path to give as the PKCS#11 module.
  static std::string module_path();
  // Replaces the rules (written beside, then renamed over the old file: the module never sees half
  // a file). An empty text ends every fault.
  void set(const std::string& rules) const;
  void clear() const { set(""); }
  // Lines of the module's log that start with prefix ("C_Login", "fault C_Sign", "restart").
  int count_log(const std::string& prefix) const;

 private:
  std::filesystem::path control_, log_;
};

}  // namespace p11signd::testing
