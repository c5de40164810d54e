#include "pkcs11/public_key.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>

#include "common/encoding.h"

namespace p11signd::pkcs11 {
namespace {

// A fresh OpenSSL key: the formats are checked by round trips through OpenSSL's own parsers.
EvpPkeyPtr generate() { return EvpPkeyPtr(EVP_RSA_gen(2048)); }

TEST(PublicKey, PemAndBase64DerAreTheSameSpki) {
  auto key = generate();
  const Bytes der = spki_der(key.get());
  const std::string pem = spki_pem(der);
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EvpPkeyPtr parsed(PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(EVP_PKEY_eq(key.get(), parsed.get()), 1);
  EXPECT_EQ(*base64_decode(spki_der_base64(der)), der);
  EXPECT_EQ(spki_fingerprint_sha256(der).size(), 64u);
}

TEST(PublicKey, JwkUsesMinimalBase64Url) {
  const Bytes n{0x00, 0xc0, 0x01};
  const Bytes e{0x01, 0x00, 0x01};
  EXPECT_EQ(jwk(n, e), R"({"e":"AQAB","kty":"RSA","n":"wAE"})");
  EXPECT_EQ(jwk(n, e, "k\"1"), R"({"e":"AQAB","kty":"RSA","n":"wAE","kid":"k\"1"})");
}

TEST(PublicKey, RsaPublicKeyFromComponentsMatches) {
  auto key = generate();
  BIGNUM *n = nullptr, *e = nullptr;
  ASSERT_EQ(EVP_PKEY_get_bn_param(key.get(), "n", &n), 1);
  ASSERT_EQ(EVP_PKEY_get_bn_param(key.get(), "e", &e), 1);
  Bytes nb(BN_num_bytes(n)), eb(BN_num_bytes(e));
  BN_bn2bin(n, nb.data());
  BN_bn2bin(e, eb.data());
  BN_free(n);
  BN_free(e);
  auto rebuilt = rsa_public_key(nb, eb);
  EXPECT_EQ(spki_der(rebuilt.get()), spki_der(key.get()));
}

TEST(PublicKey, VerifyRejectsChangedData) {
  auto key = generate();
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ASSERT_EQ(EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key.get()), 1);
  const Bytes data{1, 2, 3};
  Bytes sig(256);
  size_t len = sig.size();
  ASSERT_EQ(EVP_DigestSign(ctx, sig.data(), &len, data.data(), data.size()), 1);
  EVP_MD_CTX_free(ctx);
  const Bytes der = spki_der(key.get());
  EXPECT_TRUE(verify_rsa(der, false, 0, data, sig));
  EXPECT_FALSE(verify_rsa(der, false, 0, Bytes{1, 2, 4}, sig));
  EXPECT_FALSE(verify_rsa(der, true, 32, data, sig));
}

}  // namespace
}  // namespace p11signd::pkcs11
