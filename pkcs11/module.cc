#include "pkcs11/module.h"

#include <dlfcn.h>

namespace p11signd::pkcs11 {

std::unique_ptr<Module> Module::load(const std::string& path, ModuleOptions options) {
  // RTLD_LOCAL: the module's symbols must not satisfy anyone else's (two modules may export
  // C_Sign).
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    throw Error(ErrorCategory::kPermanent,
                "cannot load PKCS#11 module '" + path + "': " + (why ? why : "dlopen failed"));
  }
  auto get_list = reinterpret_cast<CK_C_GetFunctionList>(dlsym(handle, "C_GetFunctionList"));
  if (get_list == nullptr) {
    dlclose(handle);
    throw Error(ErrorCategory::kPermanent,
                "'" + path + "' is not a PKCS#11 module: it has no C_GetFunctionList");
  }
  CK_FUNCTION_LIST_PTR functions = nullptr;
  const CK_RV rv = get_list(&functions);
  if (rv != CKR_OK || functions == nullptr) {
    dlclose(handle);
    throw Error("C_GetFunctionList", rv == CKR_OK ? CKR_GENERAL_ERROR : rv);
  }
  if (options.interpose) functions = options.interpose(functions);
  std::unique_ptr<Module> module(new Module(path, handle, functions, std::move(options)));
  module->initialize();
  return module;
}

Module::Module(std::string path, void* handle, CK_FUNCTION_LIST_PTR functions,
               ModuleOptions options)
    : path_(std::move(path)),
      handle_(handle),
      functions_(functions),
      options_(std::move(options)) {}

Module::~Module() {
  // Destructors swallow errors: there is no one left to tell, and C_Finalize must happen exactly
  // once.
  functions_->C_Finalize(nullptr);
  dlclose(handle_);
}

void Module::initialize() {
  CK_C_INITIALIZE_ARGS args{};
  args.flags = CKF_OS_LOCKING_OK;
  const CK_RV rv = functions_->C_Initialize(&args);
  if (rv != CKR_OK) {
    if (options_.log) options_.log("pkcs11: C_Initialize of " + path_ + " failed: " + rv_name(rv));
    throw Error(kFunctionName<&CK_FUNCTION_LIST::C_Initialize>, rv);
  }
}

void Module::reinitialize() {
  generation_.fetch_add(1, std::memory_order_acq_rel);
  functions_->C_Finalize(
      nullptr);  // may fail if the device is gone; initialising again is what matters
  initialize();
}

void Module::fail(std::string_view name, CK_RV rv) const {
  Error error(name, rv);
  if (options_.log) options_.log(std::string("pkcs11: ") + error.what());
  throw error;
}

}  // namespace p11signd::pkcs11
