#pragma once
// Which signing mechanisms the token offers, checked once per token with C_GetMechanismInfo. The
// signer prefers the combined hash-and-sign mechanisms and falls back to hashing in the process.
// Raw RSA (CKM_RSA_X_509) is never used: hardware HSMs refuse it, and PSS padding must be done by
// the token.

#include <string>

#include "pkcs11/cryptoki.h"
#include "pkcs11/module.h"

namespace p11signd::pkcs11 {

struct Mechanisms {
  bool sha256_rsa_pkcs = false;      // CKM_SHA256_RSA_PKCS
  bool rsa_pkcs = false;             // CKM_RSA_PKCS over a DigestInfo
  bool sha256_rsa_pkcs_pss = false;  // CKM_SHA256_RSA_PKCS_PSS
  bool rsa_pkcs_pss = false;         // CKM_RSA_PKCS_PSS over a SHA-256 or SHA-512 digest
  bool sha512_rsa_pkcs_pss = false;  // CKM_SHA512_RSA_PKCS_PSS
  bool ecdsa = false;                // CKM_ECDSA over a digest made here
  bool eddsa = false;                // CKM_EDDSA (pure Ed25519)

  static Mechanisms probe(const Module& module, CK_SLOT_ID slot);
  bool can_pkcs1() const { return sha256_rsa_pkcs || rsa_pkcs; }
  bool can_pss() const { return sha256_rsa_pkcs_pss || rsa_pkcs_pss; }
  std::string describe() const;
};

}  // namespace p11signd::pkcs11
