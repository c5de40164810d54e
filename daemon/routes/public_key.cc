#include "daemon/routes/public_key.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
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

SharedEvpPkey pkey_from_spki(ByteView spki) {
  const unsigned char* p = spki.data();
  EVP_PKEY* key = d2i_PUBKEY(nullptr, &p, static_cast<long>(spki.size()));
  if (!key) throw std::runtime_error("public key is not a valid SubjectPublicKeyInfo");
  return SharedEvpPkey(key, EVP_PKEY_free);
}

// RFC 7518 6.2: x and y of the uncompressed point, each the curve's full size.
nlohmann::ordered_json ec_jwk(EVP_PKEY* key, KeyType type) {
  const std::size_t half = ecdsa_half_len(type);
  Bytes point(1 + 2 * half);
  std::size_t len = 0;
  if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point.data(),
                                      point.size(), &len) != 1 ||
      len != point.size() || point[0] != 0x04) {
    throw std::runtime_error("cannot read the EC public point");
  }
  const ByteView all(point);
  return {{"kty", "EC"},
          {"crv", type == KeyType::kEcP256 ? "P-256" : "P-384"},
          {"x", base64url_encode(all.subspan(1, half))},
          {"y", base64url_encode(all.subspan(1 + half, half))}};
}

// RFC 8037 2: the 32-byte public key as x.
nlohmann::ordered_json okp_jwk(EVP_PKEY* key) {
  Bytes x(32);
  std::size_t len = x.size();
  if (EVP_PKEY_get_raw_public_key(key, x.data(), &len) != 1 || len != x.size()) {
    throw std::runtime_error("cannot read the Ed25519 public key");
  }
  return {{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", base64url_encode(x)}};
}

nlohmann::ordered_json spki_jwk(ByteView spki) {
  auto key = pkey_from_spki(spki);
  const auto type = key_type_of(key.get());
  if (!type) throw std::runtime_error("the key is not RSA, EC P-256/P-384 or Ed25519");
  switch (*type) {
    case KeyType::kRsa:
      break;
    case KeyType::kEcP256:
    case KeyType::kEcP384:
      return ec_jwk(key.get(), *type);
    case KeyType::kEd25519:
      return okp_jwk(key.get());
  }
  return {{"kty", "RSA"},
          {"n", bn_b64url(key.get(), OSSL_PKEY_PARAM_RSA_N)},
          {"e", bn_b64url(key.get(), OSSL_PKEY_PARAM_RSA_E)}};
}

}  // namespace p11signd::daemon
