#include "common/public_key.h"

#include <gtest/gtest.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <memory>

#include "common/ecdsa_signature.h"
#include "common/openssl_ptr.h"
#include "common/testing/software_sign.h"

namespace p11signd {
namespace {

// A fresh OpenSSL key: the encodings are checked by round trips through OpenSSL's own parsers.
EvpPkeyPtr generate() { return EvpPkeyPtr(EVP_RSA_gen(2048)); }

Bytes sign(EVP_PKEY* key, const SignRequest& req, ByteView data) {
  return testing::software_sign(key, req, data);
}

TEST(PublicKey, PemIsTheSameSpki) {
  auto key = generate();
  const Bytes der = spki_der(key.get());
  const std::string pem = spki_pem(der);
  EXPECT_EQ(pem.rfind("-----BEGIN PUBLIC KEY-----\n", 0), 0u);
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  EvpPkeyPtr parsed(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
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
  EvpPkeyPtr ec(EVP_EC_gen("P-256"));
  try {
    verify_signature(ec.get(), {}, data, data);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("RSA"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace p11signd

namespace p11signd {
namespace {

struct AlgCase {
  KeyType type;
  SignRequest req;
};

class EveryAlgorithm : public ::testing::TestWithParam<AlgCase> {};

// Each algorithm verifies its own signature, refuses a changed message, and a key of another type
// is refused by name rather than answered false.
TEST_P(EveryAlgorithm, VerifiesItsOwnSignatureAndNothingElse) {
  const AlgCase c = GetParam();
  const auto key = testing::generate_software_key(c.type);
  const ByteView data = as_bytes("the canonical string");
  const Bytes sig = testing::software_sign(key.get(), c.req, data);
  EXPECT_EQ(key_type_of(key.get()), c.type);
  EXPECT_TRUE(verify_signature(key.get(), c.req, data, sig));
  EXPECT_FALSE(verify_signature(key.get(), c.req, as_bytes("another string"), sig));
  const auto other =
      testing::generate_software_key(c.type == KeyType::kRsa ? KeyType::kEd25519 : KeyType::kRsa);
  EXPECT_THROW(verify_signature(other.get(), c.req, data, sig), std::runtime_error);
}

INSTANTIATE_TEST_SUITE_P(PublicKey, EveryAlgorithm,
                         ::testing::Values(AlgCase{KeyType::kRsa, {SignAlg::kRsaPkcs1Sha256}},
                                           AlgCase{KeyType::kRsa, {SignAlg::kRsaPssSha256}},
                                           AlgCase{KeyType::kRsa, {SignAlg::kRsaPssSha512}},
                                           AlgCase{KeyType::kEcP256, {SignAlg::kEcdsaSha256}},
                                           AlgCase{KeyType::kEcP256,
                                                   {SignAlg::kEcdsaSha256, 0, EcdsaEncoding::kDer}},
                                           AlgCase{KeyType::kEcP384, {SignAlg::kEcdsaSha384}},
                                           AlgCase{KeyType::kEd25519, {SignAlg::kEd25519}}));

TEST(PublicKey, RawEcdsaIsFixedLengthAndADerSignatureIsNotRaw) {
  const auto key = testing::generate_software_key(KeyType::kEcP256);
  const ByteView data = as_bytes("x");
  const SignRequest raw{SignAlg::kEcdsaSha256};
  const SignRequest der{SignAlg::kEcdsaSha256, 0, EcdsaEncoding::kDer};
  const Bytes raw_sig = testing::software_sign(key.get(), raw, data);
  ASSERT_EQ(raw_sig.size(), 64u);
  const Bytes der_sig = *ecdsa_raw_to_der(raw_sig);
  EXPECT_TRUE(verify_signature(key.get(), der, data, der_sig));
  EXPECT_FALSE(verify_signature(key.get(), raw, data, der_sig));
  EXPECT_FALSE(verify_signature(key.get(), der, data, raw_sig));
  EXPECT_FALSE(verify_signature(key.get(), raw, data, ByteView(raw_sig).first(63)));
}

TEST(PublicKey, EcdsaIsPinnedToItsCurvesHash) {
  const auto p384 = testing::generate_software_key(KeyType::kEcP384);
  EXPECT_THROW(
      verify_signature(p384.get(), SignRequest{SignAlg::kEcdsaSha256}, as_bytes("x"), Bytes(96)),
      std::runtime_error);
  EXPECT_EQ(key_type_of(spki_der(p384.get())), KeyType::kEcP384);
}

}  // namespace
}  // namespace p11signd
