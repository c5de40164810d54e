#include "common/public_key.h"

#include <gtest/gtest.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <memory>

namespace p11signd {
namespace {

using Pkey = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

// A fresh OpenSSL key: the encodings are checked by round trips through OpenSSL's own parsers.
Pkey generate() { return Pkey(EVP_RSA_gen(2048), EVP_PKEY_free); }

Bytes sign(EVP_PKEY* key, const SignRequest& req, ByteView data) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_PKEY_CTX* pctx = nullptr;
  EXPECT_EQ(EVP_DigestSignInit(ctx.get(), &pctx, EVP_sha256(), nullptr, key), 1);
  if (req.alg == SignAlg::kRsaPssSha256) {
    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, static_cast<int>(req.salt_len));
  }
  Bytes sig(512);
  size_t len = sig.size();
  EXPECT_EQ(EVP_DigestSign(ctx.get(), sig.data(), &len, data.data(), data.size()), 1);
  sig.resize(len);
  return sig;
}

TEST(PublicKey, PemIsTheSameSpki) {
  auto key = generate();
  const Bytes der = spki_der(key.get());
  const std::string pem = spki_pem(der);
  EXPECT_EQ(pem.rfind("-----BEGIN PUBLIC KEY-----\n", 0), 0u);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  Pkey parsed(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(EVP_PKEY_eq(key.get(), parsed.get()), 1);
}

TEST(PublicKey, VerifiesBothPaddingsAndRejectsEveryChange) {
  auto key = generate();
  const Bytes der = spki_der(key.get());
  const Bytes data{1, 2, 3};
  const SignRequest pkcs1{SignAlg::kRsaPkcs1Sha256, 0}, pss32{SignAlg::kRsaPssSha256, 32},
      pss20{SignAlg::kRsaPssSha256, 20};
  const Bytes sig = sign(key.get(), pkcs1, data);
  EXPECT_TRUE(verify_signature(der, pkcs1, data, sig));
  EXPECT_FALSE(verify_signature(der, pkcs1, Bytes{1, 2, 4}, sig));
  EXPECT_FALSE(verify_signature(der, pss32, data, sig));
  Bytes flipped = sig;
  flipped[10] ^= 1;
  EXPECT_FALSE(verify_signature(key.get(), pkcs1, data, flipped));
  const Bytes pss_sig = sign(key.get(), pss20, data);
  EXPECT_TRUE(verify_signature(der, pss20, data, pss_sig));
  EXPECT_FALSE(verify_signature(der, pss32, data, pss_sig));
  EXPECT_EQ(ERR_peek_error(), 0u) << "a mismatch leaves no OpenSSL error queued";
}

TEST(PublicKey, UnusableKeyThrowsNamingIt) {
  const Bytes data{1};
  EXPECT_THROW(verify_signature(Bytes{0x30, 0x00}, {}, data, data), std::runtime_error);
  Pkey ec(EVP_EC_gen("P-256"), EVP_PKEY_free);
  try {
    verify_signature(ec.get(), {}, data, data);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("RSA"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace p11signd
