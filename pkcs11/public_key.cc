#include "pkcs11/public_key.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>

#include <stdexcept>

#include "common/digest.h"
#include "pkcs11/rv.h"

namespace p11signd::pkcs11 {
namespace {

BignumPtr to_bn(ByteView b) {
  return BignumPtr(BN_bin2bn(b.data(), static_cast<int>(b.size()), nullptr));
}

}  // namespace

EvpPkeyPtr rsa_public_key(ByteView modulus, ByteView exponent) {
  auto n = to_bn(modulus), e = to_bn(exponent);
  OsslParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!n || !e || !bld || !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get())) {
    throw Error(ErrorCategory::kPermanent, "cannot build RSA public key parameters");
  }
  OsslParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    throw Error(ErrorCategory::kPermanent, "OpenSSL refused the token's RSA modulus/exponent");
  }
  return EvpPkeyPtr(key);
}

EvpPkeyPtr ec_public_key(KeyType type, ByteView point) {
  if (type == KeyType::kEd25519) {
    EVP_PKEY* key =
        EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, point.data(), point.size());
    if (!key) throw Error(ErrorCategory::kBadInput, "OpenSSL refused the token's Ed25519 key");
    return EvpPkeyPtr(key);
  }
  const char* group = type == KeyType::kEcP256 ? "P-256" : "P-384";
  OsslParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld || !OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0) ||
      !OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                        point.size())) {
    throw Error(ErrorCategory::kPermanent, "cannot build EC public key parameters");
  }
  OsslParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    ERR_clear_error();
    throw Error(ErrorCategory::kBadInput,
                std::string("OpenSSL refused the token's public point on ") + group);
  }
  return EvpPkeyPtr(key);
}

std::string spki_fingerprint_sha256(ByteView spki) { return sha256_hex(spki); }

bool verify_rsa(ByteView spki, bool pss, unsigned salt_len, ByteView data, ByteView signature) {
  try {
    const SignRequest req{pss ? SignAlg::kRsaPssSha256 : SignAlg::kRsaPkcs1Sha256, salt_len};
    return verify_signature(spki, req, data, signature);
  } catch (const std::runtime_error&) {
    return false;
  }
}

}  // namespace p11signd::pkcs11
