#include "pkcs11/signing.h"

#include <algorithm>

#include "common/digest.h"
#include "pkcs11/rv.h"

namespace p11signd::pkcs11 {
namespace {

Bytes run_sign(const Module& module, CK_SESSION_HANDLE session, const ResolvedKey& key,
               CK_MECHANISM& mechanism, ByteView input) {
  module.call("C_SignInit", &CK_FUNCTION_LIST::C_SignInit, session, &mechanism, key.private_key);
  // The signature is exactly the modulus length, so one C_Sign call suffices.
  Bytes signature(key.modulus.size());
  CK_ULONG length = signature.size();
  // An empty message still needs a non-null pointer: SoftHSM answers CKR_ARGUMENTS_BAD to a null
  // one.
  CK_BYTE empty = 0;
  CK_BYTE_PTR in = input.empty() ? &empty : const_cast<CK_BYTE_PTR>(input.data());
  module.call("C_Sign", &CK_FUNCTION_LIST::C_Sign, session, in, static_cast<CK_ULONG>(input.size()),
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

Bytes sign_pss(const Module& module, CK_SESSION_HANDLE session, const ResolvedKey& key,
               const Mechanisms& mechanisms, unsigned salt_len, ByteView data) {
  if (salt_len != 32 && salt_len != 20) {
    throw Error(ErrorCategory::kBadInput,
                "PSS salt length must be 32 or 20, not " + std::to_string(salt_len));
  }
  CK_RSA_PKCS_PSS_PARAMS params{CKM_SHA256, CKG_MGF1_SHA256, salt_len};
  if (mechanisms.sha256_rsa_pkcs_pss) {
    CK_MECHANISM mech{CKM_SHA256_RSA_PKCS_PSS, &params, sizeof params};
    return run_sign(module, session, key, mech, data);
  }
  if (!mechanisms.rsa_pkcs_pss) {
    throw Error(ErrorCategory::kBadInput,
                "the token offers neither CKM_SHA256_RSA_PKCS_PSS nor CKM_RSA_PKCS_PSS for "
                "RSA-PSS-SHA256");
  }
  const auto digest = sha256(data);
  CK_MECHANISM mech{CKM_RSA_PKCS_PSS, &params, sizeof params};
  return run_sign(module, session, key, mech, digest);
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
  switch (request.alg) {
    case SignAlg::kRsaPkcs1Sha256:
      return sign_pkcs1(module, session, key, mechanisms, data);
    case SignAlg::kRsaPssSha256:
      return sign_pss(module, session, key, mechanisms, pss_salt_len(request), data);
    default:
      break;
  }
  throw Error(ErrorCategory::kBadInput, "the token layer does not make " +
                                            std::string(to_string(request.alg)) + " signatures");
}

}  // namespace p11signd::pkcs11
