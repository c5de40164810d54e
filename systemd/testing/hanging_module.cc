// A PKCS#11 module for the watchdog test, loaded by the real p11signd: every call goes to the
// module named by $P11SIGND_REAL_MODULE (SoftHSM), except that C_Sign waits while the file named by
// $P11SIGND_HANG_FILE exists, like a token that stops answering. The copied function list is global
// because a C function pointer carries no context; this is test code, one per test process.
#include <dlfcn.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "pkcs11/cryptoki.h"

namespace {

CK_FUNCTION_LIST real_functions;
CK_FUNCTION_LIST hanging_functions;

CK_RV hanging_sign(CK_SESSION_HANDLE session, CK_BYTE_PTR data, CK_ULONG data_len,
                   CK_BYTE_PTR signature, CK_ULONG_PTR signature_len) {
  const char* hang_file = std::getenv("P11SIGND_HANG_FILE");
  if (hang_file != nullptr && ::access(hang_file, F_OK) == 0) {
    // Says that a call is now hanging, so that the test times its silence from here and not from
    // when it asked (a loaded machine may take a while to get the request to a worker).
    const std::string entered = std::string(hang_file) + ".entered";
    if (FILE* f = std::fopen(entered.c_str(), "w")) std::fclose(f);
    while (::access(hang_file, F_OK) == 0) ::usleep(10'000);
  }
  return real_functions.C_Sign(session, data, data_len, signature, signature_len);
}

}  // namespace

extern "C" CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR out) {
  if (out == nullptr) return CKR_ARGUMENTS_BAD;
  const char* path = std::getenv("P11SIGND_REAL_MODULE");
  void* handle = path != nullptr ? ::dlopen(path, RTLD_NOW | RTLD_LOCAL) : nullptr;
  if (handle == nullptr) return CKR_GENERAL_ERROR;
  auto get_list = reinterpret_cast<CK_C_GetFunctionList>(::dlsym(handle, "C_GetFunctionList"));
  CK_FUNCTION_LIST_PTR real = nullptr;
  if (get_list == nullptr || get_list(&real) != CKR_OK || real == nullptr) return CKR_GENERAL_ERROR;
  real_functions = *real;
  hanging_functions = *real;
  hanging_functions.C_Sign = hanging_sign;
  *out = &hanging_functions;
  return CKR_OK;
}
