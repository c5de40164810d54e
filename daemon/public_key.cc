#include "daemon/public_key.h"

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

EvpPkeyPtr pkey_from_spki(ByteView spki) {
  const unsigned char* p = spki.data();
  EVP_PKEY* key = d2i_PUBKEY(nullptr, &p, static_cast<long>(spki.size()));
  if (!key) throw std::runtime_error("public key is not a valid SubjectPublicKeyInfo");
  return EvpPkeyPtr(key, EVP_PKEY_free);
}

nlohmann::ordered_json spki_jwk(ByteView spki) {
  auto key = pkey_from_spki(spki);
  return {{"kty", "RSA"},
          {"n", bn_b64url(key.get(), OSSL_PKEY_PARAM_RSA_N)},
          {"e", bn_b64url(key.get(), OSSL_PKEY_PARAM_RSA_E)}};
}

}  // namespace p11signd::daemon
