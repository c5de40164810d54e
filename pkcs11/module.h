#pragma once
// A loaded PKCS#11 module: dlopen, C_GetFunctionList, C_Initialize with CKF_OS_LOCKING_OK (without
// it SoftHSM turns its locking off), C_Finalize once at the end. Every C_* call of the project goes
// through call(): the one place where a CK_RV becomes an Error and where failures are logged.

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "pkcs11/cryptoki.h"
#include "pkcs11/function_names.h"
#include "pkcs11/rv.h"

namespace p11signd::pkcs11 {

using LogFn = std::function<void(std::string_view)>;

struct ModuleOptions {
  // Called with one line per failed C_* call (never with arguments: they may hold a PIN).
  LogFn log;
  // Tests put a fault-injecting function list in front of the module's; production leaves it empty.
  std::function<CK_FUNCTION_LIST_PTR(CK_FUNCTION_LIST_PTR)> interpose;
};

class Module final {
 public:
  // Loads and initialises the module at path. Throws Error naming the path and the dlopen or CKR_
  // reason.
  static std::unique_ptr<Module> load(const std::string& path, ModuleOptions options = {});
  ~Module();
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // C_Finalize then C_Initialize: every session and handle of the old initialisation is gone
  // afterwards, and generation() changes so that holders of old session handles know not to close
  // them.
  void reinitialize();
  std::uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  const std::string& path() const { return path_; }

  // Calls Member (e.g. &CK_FUNCTION_LIST::C_Sign) and throws Error, named as function_names.h
  // names it, on failure.
  template <auto Member, typename... Args>
  void call(Args... args) const {
    static_assert(!kFunctionName<Member>.empty(), "name this function in pkcs11/function_names.h");
    const CK_RV rv = (functions_->*Member)(args...);
    if (rv != CKR_OK) fail<Member>(rv);
  }
  // Same, but hands back the CK_RV instead of throwing; for codes the caller expects and handles.
  template <typename Fn, typename... Args>
  CK_RV call_rv(Fn CK_FUNCTION_LIST::*fn, Args... args) const {
    return (functions_->*fn)(args...);
  }

  // The Error for rv from Member (after call_rv), logged; throws it.
  template <auto Member>
  [[noreturn]] void fail(CK_RV rv) const {
    static_assert(!kFunctionName<Member>.empty(), "name this function in pkcs11/function_names.h");
    fail(kFunctionName<Member>, rv);
  }
  // The same for a caller that names the function itself (create_hardened, key_templates.h).
  [[noreturn]] void fail(std::string_view name, CK_RV rv) const;
  // One line for the daemon's log (ModuleOptions::log); nothing when there is none.
  void log(std::string_view line) const {
    if (options_.log) options_.log(line);
  }

 private:
  Module(std::string path, void* handle, CK_FUNCTION_LIST_PTR functions, ModuleOptions options);
  void initialize();

  std::string path_;
  void* handle_;
  CK_FUNCTION_LIST_PTR functions_;
  ModuleOptions options_;
  std::atomic<std::uint64_t> generation_{0};
};

}  // namespace p11signd::pkcs11
