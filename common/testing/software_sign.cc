#include "common/testing/software_sign.h"

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <stdexcept>
#include <string>
#include <string_view>

#include "common/ecdsa_signature.h"
#include "common/openssl_ptr.h"
#include "common/public_key.h"

namespace p11signd::testing {
namespace {

SoftwareKey own(EVP_PKEY* key, const std::string& what) {
  if (key == nullptr) {
    ERR_clear_error();
    throw std::runtime_error(what + " failed");
  }
  return SoftwareKey(key, EVP_PKEY_free);
}

}  // namespace

SoftwareKey generate_software_key(KeyType type, unsigned rsa_bits) {
  switch (type) {
    case KeyType::kRsa:
      return own(EVP_RSA_gen(rsa_bits), "RSA key generation");
    case KeyType::kEcP256:
      return own(EVP_EC_gen("P-256"), "P-256 key generation");
    case KeyType::kEcP384:
      return own(EVP_EC_gen("P-384"), "P-384 key generation");
    case KeyType::kEd25519:
      return own(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"), "Ed25519 key generation");
  }
  throw std::runtime_error("unknown key type");
}

SoftwareKey software_key_from_pem(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return own(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr), "reading the key PEM");
}

Bytes software_sign(EVP_PKEY* key, const SignRequest& req, ByteView data) {
  const auto type = key_type_of(key);
  if (!type || !key_can_sign(*type, req.alg)) {
    throw std::runtime_error("this key cannot make " + std::string(to_string(req.alg)));
  }
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  const EVP_MD* md = message_digest(req.alg);
  if (EVP_DigestSignInit(ctx.get(), &pctx, md, nullptr, key) != 1) {
    ERR_clear_error();
    throw std::runtime_error("EVP_DigestSignInit failed");
  }
  if (req.alg == SignAlg::kRsaPssSha256 || req.alg == SignAlg::kRsaPssSha512) {
    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
    EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md);
    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, static_cast<int>(pss_salt_len(req)));
  }
  std::size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, data.data(), data.size()) != 1) {
    ERR_clear_error();
    throw std::runtime_error("EVP_DigestSign (size) failed");
  }
  Bytes sig(len);
  if (EVP_DigestSign(ctx.get(), sig.data(), &len, data.data(), data.size()) != 1) {
    ERR_clear_error();
    throw std::runtime_error("EVP_DigestSign failed");
  }
  sig.resize(len);
  if (is_ecdsa(req.alg) && req.ecdsa_encoding == EcdsaEncoding::kRaw) {
    auto raw = ecdsa_der_to_raw(sig, ecdsa_half_len(*type));
    if (!raw) throw std::runtime_error("OpenSSL made an ECDSA signature that does not parse");
    return *raw;
  }
  return sig;
}

}  // namespace p11signd::testing
