#include "daemon/public_key.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <stdexcept>

#include "common/encoding.h"

namespace p11signd::daemon {
namespace {

std::string bn_b64url(EVP_PKEY* key, const char* name) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) throw std::runtime_error("not an RSA key");
  Bytes buf(static_cast<std::size_t>(BN_num_bytes(bn)));
  BN_bn2bin(bn, buf.data());
  BN_free(bn);
  return base64url_encode(buf);
}

}  // namespace

EvpPkeyPtr pkey_from_spki(ByteView spki) {
  const unsigned char* p = spki.data();
  EVP_PKEY* key = d2i_PUBKEY(nullptr, &p, static_cast<long>(spki.size()));
  if (!key) throw std::runtime_error("public key is not a valid SubjectPublicKeyInfo");
  return EvpPkeyPtr(key, EVP_PKEY_free);
}

Bytes spki_der(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int n = i2d_PUBKEY(key, &der);
  if (n <= 0) throw std::runtime_error("cannot encode the public key");
  Bytes out(der, der + n);
  OPENSSL_free(der);
  return out;
}

std::string spki_pem(ByteView spki) {
  auto key = pkey_from_spki(spki);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_PUBKEY(bio.get(), key.get());
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

nlohmann::ordered_json spki_jwk(ByteView spki) {
  auto key = pkey_from_spki(spki);
  return {{"kty", "RSA"},
          {"n", bn_b64url(key.get(), OSSL_PKEY_PARAM_RSA_N)},
          {"e", bn_b64url(key.get(), OSSL_PKEY_PARAM_RSA_E)}};
}

bool verify_signature(ByteView spki, const SignRequest& req, ByteView data, ByteView signature) {
  auto key = pkey_from_spki(spki);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_PKEY_CTX* pctx = nullptr;
  if (EVP_DigestVerifyInit(ctx.get(), &pctx, EVP_sha256(), nullptr, key.get()) != 1) {
    throw std::runtime_error("cannot set up verification with this key");
  }
  if (req.alg == SignAlg::kRsaPssSha256) {
    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, static_cast<int>(req.salt_len));
    EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256());
  }
  return EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), data.data(),
                          data.size()) == 1;
}

}  // namespace p11signd::daemon
