#include "pkcs11/public_key.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <stdexcept>

#include "common/digest.h"
#include "common/encoding.h"

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
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
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
    throw std::runtime_error("cannot build RSA public key parameters");
  }
  std::unique_ptr<OSSL_PARAM, ParamDeleter> params(OSSL_PARAM_BLD_to_param(bld.get()));
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDeleter> ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    throw std::runtime_error("OpenSSL refused the token's RSA modulus/exponent");
  }
  return EvpPkeyPtr(key);
}

Bytes spki_der(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(key, &der);
  if (len <= 0) throw std::runtime_error("cannot encode SubjectPublicKeyInfo");
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

std::string spki_pem(ByteView spki) {
  std::string b64 = base64_encode(spki);
  std::string pem = "-----BEGIN PUBLIC KEY-----\n";
  for (std::size_t i = 0; i < b64.size(); i += 64) pem += b64.substr(i, 64) + "\n";
  pem += "-----END PUBLIC KEY-----\n";
  return pem;
}

std::string spki_der_base64(ByteView spki) { return base64_encode(spki); }

std::string jwk(ByteView modulus, ByteView exponent, const std::string& kid) {
  // Strip leading zero octets: JWA (RFC 7518 6.3.1.1) wants the minimal unsigned big-endian form.
  auto minimal = [](ByteView b) {
    std::size_t i = 0;
    while (i + 1 < b.size() && b[i] == 0) ++i;
    return b.subspan(i);
  };
  std::string out = "{\"e\":\"" + base64url_encode(minimal(exponent)) +
                    "\",\"kty\":\"RSA\",\"n\":\"" + base64url_encode(minimal(modulus)) + "\"";
  if (!kid.empty()) {
    std::string escaped;
    for (char c : kid) {
      if (c == '"' || c == '\\') escaped.push_back('\\');
      escaped.push_back(c);
    }
    out += ",\"kid\":\"" + escaped + "\"";
  }
  return out + "}";
}

std::string spki_fingerprint_sha256(ByteView spki) { return sha256_hex(spki); }

bool verify_rsa(ByteView spki, bool pss, unsigned salt_len, ByteView data, ByteView signature) {
  const unsigned char* p = spki.data();
  EvpPkeyPtr key(d2i_PUBKEY(nullptr, &p, static_cast<long>(spki.size())));
  if (!key) return false;
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), &pctx, EVP_sha256(), nullptr, key.get()) != 1) {
    return false;
  }
  if (pss && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
              EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) != 1 ||
              EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, static_cast<int>(salt_len)) != 1)) {
    return false;
  }
  return EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), data.data(),
                          data.size()) == 1;
}

}  // namespace p11signd::pkcs11
