#pragma once
// An OpenSSL EVP_PKEY whose private operation is a PKCS#1 v1.5 signature on the token. It lets
// OpenSSL's own X509_sign and X509_REQ_sign build certificates and requests while the private key
// stays inside the HSM. libp11 does the same with an RSA_METHOD, but through its own sessions
// (which libp11 may close underneath ours, see docs/architecture.md); this one goes through our
// Signer, with its recovery.

#include <string>

#include "pkcs11/key_registry.h"
#include "pkcs11/public_key.h"
#include "pkcs11/token.h"

namespace p11signd::pkcs11 {

class TokenEvpKey final {
 public:
  TokenEvpKey(Token& token, const ResolvedKey& key);
  ~TokenEvpKey();
  TokenEvpKey(const TokenEvpKey&) = delete;
  TokenEvpKey& operator=(const TokenEvpKey&) = delete;

  EVP_PKEY* get() const { return pkey_.get(); }
  // The token's error when OpenSSL reports a failed signature (OpenSSL's own error says only
  // "failed").
  const std::string& last_error() const { return last_error_; }

 private:
  static int sign_callback(int type, const unsigned char* digest, unsigned int digest_len,
                           unsigned char* sig, unsigned int* sig_len, const struct rsa_st* rsa);
  Token& token_;
  std::string key_name_;
  std::string last_error_;
  struct rsa_meth_st* method_ = nullptr;
  EvpPkeyPtr pkey_;
};

}  // namespace p11signd::pkcs11
