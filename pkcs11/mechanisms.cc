#include "pkcs11/mechanisms.h"

namespace p11signd::pkcs11 {
namespace {

bool can_sign(const Module& module, CK_SLOT_ID slot, CK_MECHANISM_TYPE type) {
  CK_MECHANISM_INFO info{};
  const CK_RV rv = module.call_rv(&CK_FUNCTION_LIST::C_GetMechanismInfo, slot, type, &info);
  if (rv == CKR_MECHANISM_INVALID) return false;
  if (rv != CKR_OK) module.fail<&CK_FUNCTION_LIST::C_GetMechanismInfo>(rv);
  return (info.flags & CKF_SIGN) != 0;
}

}  // namespace

Mechanisms Mechanisms::probe(const Module& module, CK_SLOT_ID slot) {
  Mechanisms m;
  m.sha256_rsa_pkcs = can_sign(module, slot, CKM_SHA256_RSA_PKCS);
  m.rsa_pkcs = can_sign(module, slot, CKM_RSA_PKCS);
  m.sha256_rsa_pkcs_pss = can_sign(module, slot, CKM_SHA256_RSA_PKCS_PSS);
  m.rsa_pkcs_pss = can_sign(module, slot, CKM_RSA_PKCS_PSS);
  m.sha512_rsa_pkcs_pss = can_sign(module, slot, CKM_SHA512_RSA_PKCS_PSS);
  m.ecdsa = can_sign(module, slot, CKM_ECDSA);
  m.eddsa = can_sign(module, slot, CKM_EDDSA);
  return m;
}

std::string Mechanisms::describe() const {
  std::string s;
  auto add = [&s](bool on, const char* name) {
    if (!on) return;
    if (!s.empty()) s += ", ";
    s += name;
  };
  add(sha256_rsa_pkcs, "CKM_SHA256_RSA_PKCS");
  add(rsa_pkcs, "CKM_RSA_PKCS");
  add(sha256_rsa_pkcs_pss, "CKM_SHA256_RSA_PKCS_PSS");
  add(rsa_pkcs_pss, "CKM_RSA_PKCS_PSS");
  add(sha512_rsa_pkcs_pss, "CKM_SHA512_RSA_PKCS_PSS");
  add(ecdsa, "CKM_ECDSA");
  add(eddsa, "CKM_EDDSA");
  return s.empty() ? "none" : s;
}

}  // namespace p11signd::pkcs11
