#include "pkcs11/public_key.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include <stdexcept>

#include "common/digest.h"
#include "pkcs11/rv.h"

namespace p11signd::pkcs11 {
namespace {

struct BnDeleter {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
struct ParamBldDeleter {
  void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); }
};
struct ParamDeleter {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct PkeyCtxDeleter {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};

std::unique_ptr<BIGNUM, BnDeleter> to_bn(ByteView b) {
  return std::unique_ptr<BIGNUM, BnDeleter>(
      BN_bin2bn(b.data(), static_cast<int>(b.size()), nullptr));
}

}  // namespace

EvpPkeyPtr rsa_public_key(ByteView modulus, ByteView exponent) {
  auto n = to_bn(modulus), e = to_bn(exponent);
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldDeleter> bld(OSSL_PARAM_BLD_new());
  if (!n || !e || !bld || !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get())) {
    throw Error(ErrorCategory::kPermanent, "cannot build RSA public key parameters");
  }
  std::unique_ptr<OSSL_PARAM, ParamDeleter> params(OSSL_PARAM_BLD_to_param(bld.get()));
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDeleter> ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    throw Error(ErrorCategory::kPermanent, "OpenSSL refused the token's RSA modulus/exponent");
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
