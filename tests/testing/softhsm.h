#pragma once
// A throwaway SoftHSM token for one test process: a temporary directory with its own softhsm2.conf
// (SOFTHSM2_CONF) and an initialised token, removed at exit. Test processes never share a token, so
// ctest can run them in parallel and a broken test cannot lock a token another test uses.

#include <filesystem>
#include <string>
#include <vector>

#include "pkcs11/token.h"

namespace p11signd::testing {

inline constexpr const char* kUserPin = "1234";
inline constexpr const char* kSoPin = "5678";

class SoftHsm final {
 public:
  // Creates the directory, the configuration and a token labelled label. Throws std::runtime_error.
  explicit SoftHsm(const std::string& label = "p11test");
  ~SoftHsm();
  SoftHsm(const SoftHsm&) = delete;
  SoftHsm& operator=(const SoftHsm&) = delete;

  const std::filesystem::path& dir() const { return dir_; }
  const std::string& label() const { return label_; }
  std::string uri() const { return "pkcs11:token=" + label_; }
  // Writes the user PIN to dir()/pin (mode 0600) and returns the path.
  std::string pin_file() const;

  // A TokenConfig for this token with the given keys and the correct PIN.
  pkcs11::TokenConfig config(std::vector<pkcs11::KeySpec> keys = {}) const;

 private:
  std::filesystem::path dir_;
  std::string label_;
};

// The SoftHSM module built into the tests by CMake.
std::string softhsm_module();

// A KeySpec selecting a key by label.
pkcs11::KeySpec by_label(const std::string& name, const std::string& label);

}  // namespace p11signd::testing
