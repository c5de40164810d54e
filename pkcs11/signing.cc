#include "pkcs11/signing.h"

#include <openssl/evp.h>

#include <algorithm>

#include "common/digest.h"
#include "common/ecdsa_signature.h"
#include "common/public_key.h"
#include "pkcs11/rv.h"

namespace p11signd::pkcs11 {
namespace {

Bytes run_sign(const Module& module, CK_SESSION_HANDLE session, const ResolvedKey& key,
               CK_MECHANISM& mechanism, ByteView input) {
  module.call<&CK_FUNCTION_LIST::C_SignInit>(session, &mechanism, key.private_key);
  // The signature's length is known from the key (modulus, r||s, 64 for Ed25519), so one C_Sign
  // call suffices.
  Bytes signature(key.signature_len);
  CK_ULONG length = signature.size();
  // An empty message still needs a non-null pointer: SoftHSM answers CKR_ARGUMENTS_BAD to a null
  // one.
  CK_BYTE empty = 0;
  CK_BYTE_PTR in = input.empty() ? &empty : const_cast<CK_BYTE_PTR>(input.data());
  module.call<&CK_FUNCTION_LIST::C_Sign>(session, in, static_cast<CK_ULONG>(input.size()),
                                         signature.data(), &length);
  signature.resize(length);
  return signature;
}

Bytes sign_pkcs1(const Module& module, CK_SESSION_HANDLE session, const ResolvedKey& key,
                 const Mechanisms& mechanisms, ByteView data) {
  if (mechanisms.sha256_rsa_pkcs) {
    CK_MECHANISM mech{CKM_SHA256_RSA_PKCS, nullptr, 0};
    return run_sign(module, session, key, mech, data);
  }
  if (!mechanisms.rsa_pkcs) {
    throw Error(ErrorCategory::kBadInput,
                "the token offers neither CKM_SHA256_RSA_PKCS nor CKM_RSA_PKCS for RSA-SHA256");
  }
  const auto digest = sha256(data);
  return sign_digest_info(module, session, key, sha256_digest_info(digest));
}

// The message's digest, computed here for the mechanisms that sign a digest (CKM_RSA_PKCS_PSS,
// CKM_ECDSA).
Bytes digest_of(const EVP_MD* md, ByteView data) {
  Bytes out(static_cast<std::size_t>(EVP_MD_get_size(md)));
  unsigned len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, md, nullptr) != 1) {
    throw Error(ErrorCategory::kPermanent, "OpenSSL could not hash the message");
  }
  return out;
}

// Whether the key may use mechanism on this token: the token offers it, and the key's
// CKA_ALLOWED_MECHANISMS (when it has one) lists it.
bool usable(bool offered, const ResolvedKey& key, CK_MECHANISM_TYPE mechanism) {
  return offered && mechanism_allowed(key, mechanism);
}

Bytes sign_pss(const Module& module, CK_SESSION_HANDLE session, const ResolvedKey& key,
               const Mechanisms& mechanisms, SignAlg alg, unsigned salt_len, ByteView data) {
  const bool sha512 = alg == SignAlg::kRsaPssSha512;
  if (sha512 ? salt_len != 64 : (salt_len != 32 && salt_len != 20)) {
    throw Error(ErrorCategory::kBadInput, std::string("PSS salt length must be ") +
                                              (sha512 ? "64 for RSA-PSS-SHA512" : "32 or 20") +
                                              ", not " + std::to_string(salt_len));
  }
  CK_RSA_PKCS_PSS_PARAMS params{sha512 ? CKM_SHA512 : CKM_SHA256,
                                sha512 ? CKG_MGF1_SHA512 : CKG_MGF1_SHA256, salt_len};
  const CK_MECHANISM_TYPE combined = sha512 ? CKM_SHA512_RSA_PKCS_PSS : CKM_SHA256_RSA_PKCS_PSS;
  if (usable(sha512 ? mechanisms.sha512_rsa_pkcs_pss : mechanisms.sha256_rsa_pkcs_pss, key,
             combined)) {
    CK_MECHANISM mech{combined, &params, sizeof params};
    return run_sign(module, session, key, mech, data);
  }
  // Keys made before RSA-PSS-SHA512 was offered allow only the SHA-256 combined mechanism and
  // CKM_RSA_PKCS_PSS: the latter signs a SHA-512 digest as well.
  if (!usable(mechanisms.rsa_pkcs_pss, key, CKM_RSA_PKCS_PSS)) {
    throw Error(ErrorCategory::kBadInput,
                std::string("neither ") +
                    (sha512 ? "CKM_SHA512_RSA_PKCS_PSS" : "CKM_SHA256_RSA_PKCS_PSS") +
                    " nor CKM_RSA_PKCS_PSS is offered by the token and allowed for key '" +
                    key.spec.name + "', so it cannot make " + std::string(to_string(alg)));
  }
  const Bytes digest = digest_of(message_digest(alg), data);
  CK_MECHANISM mech{CKM_RSA_PKCS_PSS, &params, sizeof params};
  return run_sign(module, session, key, mech, digest);
}

// ECDSA: the hash is made here and CKM_ECDSA signs it; the token answers r||s.
Bytes sign_ecdsa(const Module& module, CK_SESSION_HANDLE session, const ResolvedKey& key,
                 const Mechanisms& mechanisms, const SignRequest& request, ByteView data) {
  if (!usable(mechanisms.ecdsa, key, CKM_ECDSA)) {
    throw Error(
        ErrorCategory::kBadInput,
        "CKM_ECDSA is not offered by the token or not allowed for key '" + key.spec.name + "'");
  }
  const Bytes digest = digest_of(message_digest(request.alg), data);
  CK_MECHANISM mech{CKM_ECDSA, nullptr, 0};
  Bytes raw = run_sign(module, session, key, mech, digest);
  if (raw.size() != key.signature_len) {
    throw Error(ErrorCategory::kPermanent, "the token's ECDSA signature has " +
                                               std::to_string(raw.size()) + " bytes, not " +
                                               std::to_string(key.signature_len));
  }
  if (request.ecdsa_encoding == EcdsaEncoding::kRaw) return raw;
  auto der = ecdsa_raw_to_der(raw);
  if (!der) throw Error(ErrorCategory::kPermanent, "cannot DER-encode the token's ECDSA signature");
  return *der;
}

// Pure Ed25519 (RFC 8032): the message itself goes to the token, with no mechanism parameter
// (SoftHSM and PKCS#11 3.0 read a missing CK_EDDSA_PARAMS as Ed25519 without context).
Bytes sign_eddsa(const Module& module, CK_SESSION_HANDLE session, const ResolvedKey& key,
                 const Mechanisms& mechanisms, ByteView data) {
  if (!usable(mechanisms.eddsa, key, CKM_EDDSA)) {
    throw Error(
        ErrorCategory::kBadInput,
        "CKM_EDDSA is not offered by the token or not allowed for key '" + key.spec.name + "'");
  }
  CK_MECHANISM mech{CKM_EDDSA, nullptr, 0};
  return run_sign(module, session, key, mech, data);
}

}  // namespace

Bytes sha256_digest_info(ByteView digest) {
  static constexpr std::uint8_t kPrefix[] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60,
                                             0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                                             0x01, 0x05, 0x00, 0x04, 0x20};
  // Sized up front: GCC 12 warns (falsely) about growing a vector built from a constant array.
  Bytes out(sizeof kPrefix + digest.size());
  std::copy(std::begin(kPrefix), std::end(kPrefix), out.begin());
  std::copy(digest.begin(), digest.end(), out.begin() + sizeof kPrefix);
  return out;
}

Bytes sign_digest_info(const Module& module, CK_SESSION_HANDLE session, const ResolvedKey& key,
                       ByteView digest_info) {
  CK_MECHANISM mech{CKM_RSA_PKCS, nullptr, 0};
  return run_sign(module, session, key, mech, digest_info);
}

Bytes sign_message(const Module& module, CK_SESSION_HANDLE session, const ResolvedKey& key,
                   const Mechanisms& mechanisms, const SignRequest& request, ByteView data) {
  if (!key_can_sign(key.type, request.alg)) {
    throw Error(ErrorCategory::kBadInput,
                "key '" + key.spec.name + "' is an " + std::string(to_string(key.type)) +
                    " key and cannot make " + std::string(to_string(request.alg)) + " signatures");
  }
  switch (request.alg) {
    case SignAlg::kRsaPkcs1Sha256:
      return sign_pkcs1(module, session, key, mechanisms, data);
    case SignAlg::kRsaPssSha256:
    case SignAlg::kRsaPssSha512:
      return sign_pss(module, session, key, mechanisms, request.alg, pss_salt_len(request), data);
    case SignAlg::kEcdsaSha256:
    case SignAlg::kEcdsaSha384:
      return sign_ecdsa(module, session, key, mechanisms, request, data);
    case SignAlg::kEd25519:
      return sign_eddsa(module, session, key, mechanisms, data);
  }
  throw Error(ErrorCategory::kBadInput, "the token layer does not make " +
                                            std::string(to_string(request.alg)) + " signatures");
}

}  // namespace p11signd::pkcs11
