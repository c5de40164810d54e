// Signatures from the token, checked by OpenSSL against the exported public key.
#include <gtest/gtest.h>

#include "common/encoding.h"
#include "tests/testing/token_fixture.h"

namespace p11signd::testing {
namespace {

using pkcs11::Error;
using pkcs11::ErrorCategory;

const SignRequest kPkcs1{SignAlg::kRsaPkcs1Sha256, 32};
const SignRequest kPss32{SignAlg::kRsaPssSha256, 32};
const SignRequest kPss20{SignAlg::kRsaPssSha256, 20};

TEST_F(TokenTest, SwifoodKnownAnswer) {
  import("swifood", testdata("swifood/private_key.pem"));
  const std::string param = read_file(testdata("swifood/param.json"));
  std::string expected = read_file(testdata("swifood/sign.b64"));
  while (!expected.empty() && (expected.back() == '\n' || expected.back() == '\r'))
    expected.pop_back();
  pkcs11::Signer signer(*token_);
  EXPECT_EQ(base64_encode(signer.sign("swifood", kPkcs1, as_bytes(param))), expected);
}

class KeySizes : public TokenTest, public ::testing::WithParamInterface<unsigned> {};

TEST_P(KeySizes, Pkcs1AndPssVerifyWithOpenSsl) {
  generate("k", GetParam());
  EXPECT_EQ(key("k").bits, GetParam());
  pkcs11::Signer signer(*token_);
  const auto data = as_bytes("amount=20.00&currency=EUR");
  for (const auto& req : {kPkcs1, kPss32, kPss20}) {
    const Bytes sig = signer.sign("k", req, data);
    EXPECT_EQ(sig.size(), GetParam() / 8);
    EXPECT_TRUE(verifies("k", req, data, sig));
    EXPECT_FALSE(verifies("k", req, as_bytes("amount=20.01&currency=EUR"), sig));
  }
  // A PSS signature made with salt 20 does not verify as salt 32: the salt length really reaches
  // the token.
  const Bytes sig20 = signer.sign("k", kPss20, data);
  EXPECT_FALSE(verifies("k", kPss32, data, sig20));
}

INSTANTIATE_TEST_SUITE_P(Rsa, KeySizes, ::testing::Values(2048u, 3072u, 4096u));

TEST_F(TokenTest, EmptyAndOneMebibyteMessages) {
  generate("k");
  pkcs11::Signer signer(*token_);
  const Bytes empty;
  const Bytes big(1 << 20, 0xa5);
  for (const auto& req : {kPkcs1, kPss32}) {
    EXPECT_TRUE(verifies("k", req, empty, signer.sign("k", req, empty)));
    EXPECT_TRUE(verifies("k", req, big, signer.sign("k", req, big)));
  }
}

TEST_F(TokenTest, UnknownKeyIsNotFoundNamingIt) {
  generate("k");
  pkcs11::Signer signer(*token_);
  try {
    signer.sign("nosuch", kPkcs1, as_bytes("x"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kNotFound);
    EXPECT_NE(std::string(e.what()).find("'nosuch'"), std::string::npos);
  }
}

TEST_F(TokenTest, UnsupportedAlgorithmAndSaltAreRefused) {
  EXPECT_FALSE(parse_sign_alg("RSA-SHA1").has_value());
  EXPECT_FALSE(parse_sign_alg("rsa-sha256").has_value());
  EXPECT_EQ(parse_sign_alg("RSA-PSS-SHA256"), SignAlg::kRsaPssSha256);
  generate("k");
  pkcs11::Signer signer(*token_);
  try {
    signer.sign("k", {SignAlg::kRsaPssSha256, 64}, as_bytes("x"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kBadInput);
    EXPECT_NE(std::string(e.what()).find("salt"), std::string::npos);
  }
  // The signer still works after a refused request.
  EXPECT_TRUE(verifies("k", kPkcs1, as_bytes("x"), signer.sign("k", kPkcs1, as_bytes("x"))));
}

TEST_F(TokenTest, FallsBackToHashingInProcessWhenTokenLacksCombinedMechanisms) {
  faults::hide_combined_mechanisms = true;
  generate("k");
  EXPECT_FALSE(token_->mechanisms().sha256_rsa_pkcs);
  EXPECT_FALSE(token_->mechanisms().sha256_rsa_pkcs_pss);
  pkcs11::Signer signer(*token_);
  const auto data = as_bytes("fallback");
  // The interposed C_SignInit refuses the combined mechanisms, so a signer that ignored the token's
  // mechanism list would fail here; the raw mechanism used is checked as well.
  for (const auto& [req, raw] :
       {std::pair{kPkcs1, CKM_RSA_PKCS}, {kPss32, CKM_RSA_PKCS_PSS}, {kPss20, CKM_RSA_PKCS_PSS}}) {
    EXPECT_TRUE(verifies("k", req, data, signer.sign("k", req, data)));
    EXPECT_EQ(faults::last_sign_mechanism.load(), raw);
  }
}

TEST_F(TokenTest, Pkcs1IsDeterministicAcrossPaths) {
  // RSASSA-PKCS1-v1_5 is deterministic: the combined mechanism and the DigestInfo path must agree.
  generate("k");
  Bytes combined;
  {
    pkcs11::Signer signer(*token_);  // a Signer must not outlive its Token
    combined = signer.sign("k", kPkcs1, as_bytes("same"));
  }
  // Two different paths are compared: the first signature came from the combined mechanism, the
  // second (the combined ones hidden and refused) from CKM_RSA_PKCS over a DigestInfo.
  EXPECT_EQ(faults::last_sign_mechanism.load(), CKM_SHA256_RSA_PKCS);
  const auto spec = key("k").spec;
  token_.reset();
  faults::hide_combined_mechanisms = true;
  open({spec});
  pkcs11::Signer fallback(*token_);
  EXPECT_EQ(fallback.sign("k", kPkcs1, as_bytes("same")), combined);
  EXPECT_EQ(faults::last_sign_mechanism.load(), CKM_RSA_PKCS);
}

}  // namespace
}  // namespace p11signd::testing
