#include "common/public_key.h"

#include <openssl/err.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <memory>
#include <stdexcept>

#include "common/encoding.h"

namespace p11signd {

Bytes spki_der(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(key, &der);
  if (len <= 0) throw std::runtime_error("cannot encode the public key as SubjectPublicKeyInfo");
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

std::string spki_pem(ByteView spki) {
  const std::string b64 = base64_encode(spki);
  std::string pem = "-----BEGIN PUBLIC KEY-----\n";
  for (std::size_t i = 0; i < b64.size(); i += 64) pem += b64.substr(i, 64) + "\n";
  return pem + "-----END PUBLIC KEY-----\n";
}

bool verify_signature(EVP_PKEY* key, const SignRequest& req, ByteView data, ByteView signature) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  bool usable = ctx && EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA &&
                EVP_DigestVerifyInit(ctx.get(), &pctx, EVP_sha256(), nullptr, key) == 1;
  if (usable && req.alg == SignAlg::kRsaPssSha256) {
    usable = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
             EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) == 1 &&
             EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, static_cast<int>(req.salt_len)) == 1;
  }
  if (!usable) {
    ERR_clear_error();
    throw std::runtime_error("the public key cannot verify RSA-SHA256 signatures");
  }
  const bool ok = EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), data.data(),
                                   data.size()) == 1;
  if (!ok) ERR_clear_error();  // a mismatch is an answer, not an error to leave queued
  return ok;
}

bool verify_signature(ByteView spki, const SignRequest& req, ByteView data, ByteView signature) {
  const unsigned char* p = spki.data();
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      d2i_PUBKEY(nullptr, &p, static_cast<long>(spki.size())), EVP_PKEY_free);
  if (!key) {
    ERR_clear_error();
    throw std::runtime_error("the public key is not a valid SubjectPublicKeyInfo");
  }
  return verify_signature(key.get(), req, data, signature);
}

}  // namespace p11signd
