#include "tests/testing/faults.h"

namespace p11signd::testing::faults {
namespace {

CK_FUNCTION_LIST_PTR real_functions = nullptr;
CK_FUNCTION_LIST wrapped_functions;

// rv for the next `times` calls, then CKR_OK.
CK_RV take_fault(std::atomic<int>& times, const std::atomic<CK_RV>& rv) {
  int left = times.load();
  while (left > 0) {
    if (times.compare_exchange_weak(left, left - 1)) return rv.load();
  }
  return CKR_OK;
}

CK_RV faulty_sign(CK_SESSION_HANDLE s, CK_BYTE_PTR data, CK_ULONG len, CK_BYTE_PTR sig,
                  CK_ULONG_PTR sig_len) {
  if (CK_RV rv = take_fault(sign_times, sign_rv); rv != CKR_OK) {
    // A failed C_Sign ends the operation (PKCS#11 5.12); end it in the real module too.
    CK_BYTE scratch[1024];
    CK_ULONG scratch_len = sizeof scratch;
    real_functions->C_Sign(s, data, len, scratch, &scratch_len);
    return rv;
  }
  return real_functions->C_Sign(s, data, len, sig, sig_len);
}

CK_RV counting_login(CK_SESSION_HANDLE s, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin, CK_ULONG len) {
  login_calls.fetch_add(1);
  if (CK_RV rv = take_fault(login_times, login_rv); rv != CKR_OK) return rv;
  return real_functions->C_Login(s, user, pin, len);
}

bool is_combined(CK_MECHANISM_TYPE type) {
  return type == CKM_SHA256_RSA_PKCS || type == CKM_SHA256_RSA_PKCS_PSS ||
         type == CKM_SHA512_RSA_PKCS_PSS;
}

CK_RV filtered_mechanism_info(CK_SLOT_ID slot, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO_PTR info) {
  if (hide_combined_mechanisms.load() && is_combined(type)) {
    return CKR_MECHANISM_INVALID;
  }
  return real_functions->C_GetMechanismInfo(slot, type, info);
}

CK_RV filtered_sign_init(CK_SESSION_HANDLE s, CK_MECHANISM_PTR mechanism, CK_OBJECT_HANDLE key) {
  if (mechanism != nullptr) last_sign_mechanism = mechanism->mechanism;
  if (hide_combined_mechanisms.load() && mechanism != nullptr &&
      is_combined(mechanism->mechanism)) {
    return CKR_MECHANISM_INVALID;
  }
  return real_functions->C_SignInit(s, mechanism, key);
}

CK_RV limited_token_info(CK_SLOT_ID slot, CK_TOKEN_INFO_PTR info) {
  const CK_RV rv = real_functions->C_GetTokenInfo(slot, info);
  if (rv == CKR_OK && max_session_count.load() != 0) info->ulMaxSessionCount = max_session_count;
  return rv;
}

bool holds_refused(CK_ATTRIBUTE_PTR attributes, CK_ULONG count) {
  const CK_ATTRIBUTE_TYPE refused = refused_attribute.load();
  if (refused == 0) return false;
  for (CK_ULONG i = 0; i < count; ++i) {
    if (attributes[i].type == refused) return true;
  }
  return false;
}

CK_RV picky_generate_key_pair(CK_SESSION_HANDLE s, CK_MECHANISM_PTR mechanism, CK_ATTRIBUTE_PTR pub,
                              CK_ULONG pub_count, CK_ATTRIBUTE_PTR priv, CK_ULONG priv_count,
                              CK_OBJECT_HANDLE_PTR pub_key, CK_OBJECT_HANDLE_PTR priv_key) {
  if (holds_refused(pub, pub_count) || holds_refused(priv, priv_count)) {
    return CKR_ATTRIBUTE_TYPE_INVALID;
  }
  return real_functions->C_GenerateKeyPair(s, mechanism, pub, pub_count, priv, priv_count, pub_key,
                                           priv_key);
}

CK_RV picky_create_object(CK_SESSION_HANDLE s, CK_ATTRIBUTE_PTR attributes, CK_ULONG count,
                          CK_OBJECT_HANDLE_PTR object) {
  if (holds_refused(attributes, count)) return CKR_ATTRIBUTE_TYPE_INVALID;
  return real_functions->C_CreateObject(s, attributes, count, object);
}

}  // namespace

CK_FUNCTION_LIST_PTR interpose(CK_FUNCTION_LIST_PTR real) {
  real_functions = real;
  wrapped_functions = *real;
  wrapped_functions.C_Sign = faulty_sign;
  wrapped_functions.C_SignInit = filtered_sign_init;
  wrapped_functions.C_Login = counting_login;
  wrapped_functions.C_GetMechanismInfo = filtered_mechanism_info;
  wrapped_functions.C_GetTokenInfo = limited_token_info;
  wrapped_functions.C_GenerateKeyPair = picky_generate_key_pair;
  wrapped_functions.C_CreateObject = picky_create_object;
  return &wrapped_functions;
}

void reset() {
  sign_rv = CKR_OK;
  sign_times = 0;
  login_calls = 0;
  login_rv = CKR_OK;
  login_times = 0;
  hide_combined_mechanisms = false;
  last_sign_mechanism = kNoMechanism;
  max_session_count = 0;
  refused_attribute = 0;
}

}  // namespace p11signd::testing::faults
