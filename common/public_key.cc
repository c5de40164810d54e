#include "common/public_key.h"

#include <openssl/err.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <memory>
#include <stdexcept>
#include <string_view>

#include "common/ecdsa_signature.h"
#include "common/encoding.h"
#include "common/openssl_ptr.h"

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

std::optional<KeyType> key_type_of(EVP_PKEY* key) {
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
      return KeyType::kRsa;
    case EVP_PKEY_ED25519:
      return KeyType::kEd25519;
    case EVP_PKEY_EC:
      break;
    default:
      return std::nullopt;
  }
  char group[64] = {};
  if (EVP_PKEY_get_group_name(key, group, sizeof group, nullptr) != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  const std::string_view name(group);
  if (name == "prime256v1" || name == "P-256") return KeyType::kEcP256;
  if (name == "secp384r1" || name == "P-384") return KeyType::kEcP384;
  return std::nullopt;
}

std::optional<KeyType> key_type_of(ByteView spki) {
  const unsigned char* p = spki.data();
  EvpPkeyPtr key(d2i_PUBKEY(nullptr, &p, static_cast<long>(spki.size())));
  if (!key) {
    ERR_clear_error();
    return std::nullopt;
  }
  return key_type_of(key.get());
}

std::size_t ecdsa_half_len(KeyType type) {
  if (type == KeyType::kEcP256) return 32;
  if (type == KeyType::kEcP384) return 48;
  return 0;
}

const EVP_MD* message_digest(SignAlg alg) {
  switch (alg) {
    case SignAlg::kRsaPssSha512:
      return EVP_sha512();
    case SignAlg::kEcdsaSha384:
      return EVP_sha384();
    case SignAlg::kEd25519:
      return nullptr;
    default:
      return EVP_sha256();
  }
}

namespace {

bool one_shot_verify(EVP_PKEY* key, const SignRequest& req, ByteView data, ByteView signature) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  const EVP_MD* md = message_digest(req.alg);
  bool usable = ctx && EVP_DigestVerifyInit(ctx.get(), &pctx, md, nullptr, key) == 1;
  if (usable && (req.alg == SignAlg::kRsaPssSha256 || req.alg == SignAlg::kRsaPssSha512)) {
    usable = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
             EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) == 1 &&
             EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, static_cast<int>(pss_salt_len(req))) == 1;
  }
  if (!usable) {
    ERR_clear_error();
    throw std::runtime_error("the public key cannot verify " + std::string(to_string(req.alg)) +
                             " signatures");
  }
  const bool ok = EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), data.data(),
                                   data.size()) == 1;
  if (!ok) ERR_clear_error();  // a mismatch is an answer, not an error to leave queued
  return ok;
}

}  // namespace

bool verify_signature(EVP_PKEY* key, const SignRequest& req, ByteView data, ByteView signature) {
  const std::optional<KeyType> type = key_type_of(key);
  if (!type || !key_can_sign(*type, req.alg)) {
    throw std::runtime_error("the public key (" +
                             std::string(type ? to_string(*type) : "of an unsupported type") +
                             ") cannot verify " + std::string(to_string(req.alg)) + " signatures");
  }
  if (is_ecdsa(req.alg) && req.ecdsa_encoding == EcdsaEncoding::kRaw) {
    // Raw r||s has one valid length; anything else (a DER signature among them) does not verify.
    if (signature.size() != 2 * ecdsa_half_len(*type)) return false;
    const std::optional<Bytes> der = ecdsa_raw_to_der(signature);
    return der && one_shot_verify(key, req, data, *der);
  }
  return one_shot_verify(key, req, data, signature);
}

bool verify_signature(ByteView spki, const SignRequest& req, ByteView data, ByteView signature) {
  const unsigned char* p = spki.data();
  EvpPkeyPtr key(d2i_PUBKEY(nullptr, &p, static_cast<long>(spki.size())));
  if (!key) {
    ERR_clear_error();
    throw std::runtime_error("the public key is not a valid SubjectPublicKeyInfo");
  }
  return verify_signature(key.get(), req, data, signature);
}

}  // namespace p11signd
