// RSA_METHOD is deprecated in OpenSSL 3 in favour of providers; a provider is a far larger piece of
// code for the same result (OpenSSL treats a key with its own method as a "foreign" key and calls
// the method). Suppressed here only.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "pkcs11/token_evp_key.h"

#include <openssl/bn.h>
#include <openssl/obj_mac.h>
#include <openssl/rsa.h>

#include <cstring>

#include "pkcs11/signing.h"

namespace p11signd::pkcs11 {

TokenEvpKey::TokenEvpKey(Token& token, const ResolvedKey& key)
    : token_(token), key_name_(key.spec.name) {
  method_ = RSA_meth_dup(RSA_get_default_method());
  RSA* rsa = RSA_new();
  BIGNUM* n = BN_bin2bn(key.modulus.data(), static_cast<int>(key.modulus.size()), nullptr);
  BIGNUM* e =
      BN_bin2bn(key.public_exponent.data(), static_cast<int>(key.public_exponent.size()), nullptr);
  EVP_PKEY* pkey = EVP_PKEY_new();
  if (method_ == nullptr || rsa == nullptr || n == nullptr || e == nullptr || pkey == nullptr ||
      RSA_meth_set1_name(method_, "p11signd token key") != 1 ||
      RSA_meth_set0_app_data(method_, this) != 1 ||
      RSA_meth_set_sign(method_, &TokenEvpKey::sign_callback) != 1 ||
      RSA_set0_key(rsa, n, e, nullptr) != 1) {
    BN_free(n);
    BN_free(e);
    RSA_free(rsa);
    EVP_PKEY_free(pkey);
    if (method_ != nullptr) RSA_meth_free(method_);
    throw Error(ErrorCategory::kPermanent, "OpenSSL could not build a token-backed RSA key");
  }
  RSA_set_method(rsa, method_);
  EVP_PKEY_assign_RSA(pkey, rsa);  // pkey owns rsa now
  pkey_.reset(pkey);
}

TokenEvpKey::~TokenEvpKey() {
  pkey_.reset();  // frees the RSA, which refers to method_
  RSA_meth_free(method_);
}

int TokenEvpKey::sign_callback(int type, const unsigned char* digest, unsigned int digest_len,
                               unsigned char* sig, unsigned int* sig_len, const RSA* rsa) {
  auto* self = static_cast<TokenEvpKey*>(RSA_meth_get0_app_data(RSA_get_method(rsa)));
  if (type != NID_sha256 || digest_len != 32) {
    self->last_error_ = "only SHA-256 signatures are made with token keys";
    return 0;
  }
  try {
    const Bytes digest_info = sha256_digest_info({digest, digest_len});
    const Bytes signature =
        self->token_.with_admin_session([&](const Module& module, CK_SESSION_HANDLE session) {
          // Looked up inside: a repair between two attempts gives the key a new handle.
          const auto keys = self->token_.keys().snapshot();
          const auto it = keys->keys.find(self->key_name_);
          if (it == keys->keys.end()) {
            throw Error(ErrorCategory::kNotFound, "unknown key '" + self->key_name_ + "'");
          }
          return sign_digest_info(module, session, it->second, digest_info);
        });
    std::memcpy(sig, signature.data(), signature.size());
    *sig_len = static_cast<unsigned int>(signature.size());
    return 1;
  } catch (const std::exception& e) {  // nothing may cross back into OpenSSL's C frames
    self->last_error_ = e.what();
    return 0;
  }
}

}  // namespace p11signd::pkcs11
