#include "pkcs11/tbs_signing.h"

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/objects.h>

#include "common/openssl_ptr.h"
#include "pkcs11/rv.h"
#include "pkcs11/signing.h"

namespace p11signd::pkcs11 {
namespace {

// What the token makes for an X.509 signature by a key of this type, and the algorithm's NID.
std::pair<SignRequest, int> x509_signature(const ResolvedKey& key) {
  switch (key.type) {
    case KeyType::kEcP256:
      return {{SignAlg::kEcdsaSha256, 0, EcdsaEncoding::kDer}, NID_ecdsa_with_SHA256};
    case KeyType::kEcP384:
      return {{SignAlg::kEcdsaSha384, 0, EcdsaEncoding::kDer}, NID_ecdsa_with_SHA384};
    case KeyType::kEd25519:
      return {{SignAlg::kEd25519}, NID_ED25519};
    case KeyType::kRsa:
      break;
  }
  throw Error(ErrorCategory::kBadInput, "key '" + key.spec.name + "' is RSA: sign it with OpenSSL");
}

// ECDSA and Ed25519 AlgorithmIdentifiers have no parameters at all (RFC 5758 3.2, RFC 8410 3).
void set_algorithm(X509_ALGOR* algorithm, int nid) {
  if (X509_ALGOR_set0(algorithm, OBJ_nid2obj(nid), V_ASN1_UNDEF, nullptr) != 1) {
    throw Error(ErrorCategory::kPermanent, "cannot set the signature algorithm");
  }
}

// The token's signature over tbs, on the admin session (certificates are rare; signing sessions
// belong to the workers). The key is looked up inside: a repair between two attempts gives it a new
// handle.
Bytes sign_on_token(Token& token, const ResolvedKey& key, const SignRequest& request,
                    ByteView tbs) {
  return token.with_admin_session([&](const Module& module, CK_SESSION_HANDLE session) {
    const auto keys = token.keys().snapshot();
    const auto it = keys->keys.find(key.spec.name);
    if (it == keys->keys.end() || it->second.fingerprint_sha256 != key.fingerprint_sha256) {
      throw Error(ErrorCategory::kConflict,
                  "key '" + key.spec.name + "' changed while its certificate was made");
    }
    return sign_message(module, session, it->second, token.mechanisms(), request, tbs);
  });
}

template <typename T, typename I2dTbs>
Bytes encoded_tbs(T* object, I2dTbs i2d_tbs) {
  unsigned char* der = nullptr;
  const int len = i2d_tbs(object, &der);
  if (len <= 0) throw Error(ErrorCategory::kPermanent, "cannot DER-encode the part to be signed");
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

// Sets signature as a BIT STRING with no unused bits, as X509_sign does: a signature is whole
// bytes.
void set_signature_bits(ASN1_BIT_STRING* bits, ByteView signature) {
  if (ASN1_BIT_STRING_set(bits, const_cast<unsigned char*>(signature.data()),
                          static_cast<int>(signature.size())) != 1) {
    throw Error(ErrorCategory::kPermanent, "cannot store the signature");
  }
  bits->flags &= ~0x07L;
  bits->flags |= ASN1_STRING_FLAG_BITS_LEFT;
}

}  // namespace

void sign_certificate_on_token(Token& token, const ResolvedKey& key, X509* cert) {
  const auto [request, nid] = x509_signature(key);
  // OpenSSL 3 has setters for a request's signature (below) but none for a certificate's: the two
  // AlgorithmIdentifiers and the BIT STRING X509_new made are filled in place, as X509_sign does.
  const X509_ALGOR* outer_algorithm = nullptr;
  const ASN1_BIT_STRING* signature_bits = nullptr;
  X509_get0_signature(&signature_bits, &outer_algorithm, cert);
  set_algorithm(const_cast<X509_ALGOR*>(X509_get0_tbs_sigalg(cert)), nid);
  set_algorithm(const_cast<X509_ALGOR*>(outer_algorithm), nid);
  const Bytes tbs = encoded_tbs(cert, i2d_re_X509_tbs);
  set_signature_bits(const_cast<ASN1_BIT_STRING*>(signature_bits),
                     sign_on_token(token, key, request, tbs));
}

void sign_request_on_token(Token& token, const ResolvedKey& key, X509_REQ* req) {
  const auto [request, nid] = x509_signature(key);
  X509AlgorPtr algorithm(X509_ALGOR_new());
  if (!algorithm) throw Error(ErrorCategory::kPermanent, "out of memory");
  set_algorithm(algorithm.get(), nid);
  if (X509_REQ_set1_signature_algo(req, algorithm.get()) != 1) {
    throw Error(ErrorCategory::kPermanent, "cannot set the request's signature algorithm");
  }
  const Bytes tbs = encoded_tbs(req, i2d_re_X509_REQ_tbs);
  Asn1BitStringPtr bits(ASN1_BIT_STRING_new());
  if (!bits) throw Error(ErrorCategory::kPermanent, "out of memory");
  set_signature_bits(bits.get(), sign_on_token(token, key, request, tbs));
  X509_REQ_set0_signature(req, bits.release());
}

}  // namespace p11signd::pkcs11
