#include "pkcs11/token_init.h"

#include <algorithm>
#include <vector>

#include "pkcs11/session.h"
#include "pkcs11/token_uri.h"

namespace p11signd::pkcs11 {
namespace {

std::vector<std::pair<CK_SLOT_ID, CK_TOKEN_INFO>> tokens(const Module& module) {
  CK_ULONG count = 0;
  module.call<&CK_FUNCTION_LIST::C_GetSlotList>(CK_TRUE, nullptr, &count);
  std::vector<CK_SLOT_ID> slots(count);
  module.call<&CK_FUNCTION_LIST::C_GetSlotList>(CK_TRUE, slots.data(), &count);
  std::vector<std::pair<CK_SLOT_ID, CK_TOKEN_INFO>> out;
  for (CK_ULONG i = 0; i < count; ++i) {
    CK_TOKEN_INFO info{};
    module.call<&CK_FUNCTION_LIST::C_GetTokenInfo>(slots[i], &info);
    out.emplace_back(slots[i], info);
  }
  return out;
}

CK_UTF8CHAR_PTR utf8(const Secret& s) {
  return reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>(s.view().data()));
}

}  // namespace

bool token_label_exists(const std::string& module_path, const std::string& label) {
  auto module = Module::load(module_path);
  for (const auto& [slot, info] : tokens(*module)) {
    if ((info.flags & CKF_TOKEN_INITIALIZED) && trimmed(info.label, sizeof info.label) == label) {
      return true;
    }
  }
  return false;
}

void initialize_token(const std::string& module_path, const std::string& label,
                      const Secret& so_pin, const Secret& user_pin) {
  if (label.empty() || label.size() > 32) {
    throw Error(ErrorCategory::kBadInput, "a token label has 1 to 32 characters");
  }
  auto module = Module::load(module_path);
  const auto all = tokens(*module);
  const auto free = std::find_if(all.begin(), all.end(), [](const auto& t) {
    return !(t.second.flags & CKF_TOKEN_INITIALIZED);
  });
  if (free == all.end()) {
    throw Error(ErrorCategory::kPermanent,
                "no uninitialised token in " + module_path + " to initialise as '" + label + "'");
  }
  CK_UTF8CHAR padded[32];
  std::fill(std::begin(padded), std::end(padded), ' ');
  std::copy(label.begin(), label.end(), padded);
  module->call<&CK_FUNCTION_LIST::C_InitToken>(free->first, utf8(so_pin),
                                               static_cast<CK_ULONG>(so_pin.view().size()), padded);
  // SoftHSM moves the token to a new slot when it is initialised: find it again by label.
  CK_SLOT_ID slot = 0;
  for (const auto& [s, info] : tokens(*module)) {
    if ((info.flags & CKF_TOKEN_INITIALIZED) && trimmed(info.label, sizeof info.label) == label) {
      slot = s;
    }
  }
  Session session(*module, slot, /*rw=*/true);
  module->call<&CK_FUNCTION_LIST::C_Login>(session.handle(), CKU_SO, utf8(so_pin),
                                           static_cast<CK_ULONG>(so_pin.view().size()));
  module->call<&CK_FUNCTION_LIST::C_InitPIN>(session.handle(), utf8(user_pin),
                                             static_cast<CK_ULONG>(user_pin.view().size()));
  module->call_rv(&CK_FUNCTION_LIST::C_Logout, session.handle());
}

}  // namespace p11signd::pkcs11
