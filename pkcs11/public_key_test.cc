#include "pkcs11/public_key.h"

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <cstdio>

namespace p11signd::pkcs11 {
namespace {

// A fresh OpenSSL key: the formats are checked by round trips through OpenSSL's own parsers.
EvpPkeyPtr generate() { return EvpPkeyPtr(EVP_RSA_gen(2048)); }

TEST(PublicKey, FingerprintIsLowercaseHexSha256OfTheSpki) {
  auto key = generate();
  const std::string fp = spki_fingerprint_sha256(spki_der(key.get()));
  EXPECT_EQ(fp.size(), 64u);
  EXPECT_EQ(fp.find_first_not_of("0123456789abcdef"), std::string::npos);
  // The same digest computed here with OpenSSL alone, over OpenSSL's own SPKI encoding.
  unsigned char* der = nullptr;
  const int der_len = i2d_PUBKEY(key.get(), &der);
  ASSERT_GT(der_len, 0);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned md_len = 0;
  ASSERT_EQ(EVP_Digest(der, der_len, md, &md_len, EVP_sha256(), nullptr), 1);
  OPENSSL_free(der);
  std::string expected;
  for (unsigned i = 0; i < md_len; ++i) {
    char byte[3];
    std::snprintf(byte, sizeof byte, "%02x", md[i]);
    expected += byte;
  }
  EXPECT_EQ(fp, expected);
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
