#include "schemes/alipay_v3.h"

#include <gtest/gtest.h>

#include "common/encoding.h"

#include "schemes/peer_key.h"
#include "schemes/testing/test_key.h"

namespace p11signd::schemes {
namespace {

using testing::read_testdata;
using testing::TestKey;

std::string trimmed(std::string s) {
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

const auto kFixedTime =
    std::chrono::system_clock::time_point(std::chrono::milliseconds(1700000000123));

AlipayV3Scheme fixed_scheme() {
  return AlipayV3Scheme([] { return kFixedTime; },
                        [] { return std::string("ee9c1b2b-7a0c-4e5b-9f3a-5d2c8e1f4a6b"); });
}

TEST(AlipayV3Content, RequestAndAnswerFormats) {
  EXPECT_EQ(alipay_v3_auth_string("A", "", "N", "T"), "app_id=A,nonce=N,timestamp=T");
  EXPECT_EQ(alipay_v3_auth_string("A", "S", "N", "T"),
            "app_id=A,app_cert_sn=S,nonce=N,timestamp=T");
  EXPECT_EQ(alipay_v3_request_content("auth", "GET", "/v3/x", "", ""), "auth\nGET\n/v3/x\n\n");
  EXPECT_EQ(alipay_v3_request_content("auth", "POST", "/v3/x", "{}", "tok"),
            "auth\nPOST\n/v3/x\n{}\ntok\n");
  EXPECT_EQ(alipay_v3_answer_content("1", "n", "{}"), "1\nn\n{}\n");
}

// Fixed key, nonce and time: the content and its signature are known (testdata/alipay_v3).
TEST(AlipayV3Sign, KnownAnswer) {
  const TestKey key = TestKey::from_pem(read_testdata("swifood/private_key.pem"));
  const Json in = {{"method", "post"},
                   {"url", "https://openapi.alipay.com/v3/alipay/trade/query?x=1"},
                   {"body", R"({"out_trade_no":"20150320010101001"})"},
                   {"app_auth_token", "token-abc"}};
  const Json out =
      fixed_scheme().sign(in,
                          {{"alipay-v3.app-id", "2021000000000000"},
                           {"alipay-v3.app-cert-sn", "0123456789abcdef0123456789abcdef"}},
                          key.signer());
  const std::string sig = trimmed(read_testdata("alipay_v3/request-content.sig"));
  EXPECT_EQ(out["signature"], sig);
  EXPECT_EQ(
      out["authorization"],
      "ALIPAY-SHA256withRSA app_id=2021000000000000,app_cert_sn=0123456789abcdef0123456789abcdef,"
      "nonce=ee9c1b2b-7a0c-4e5b-9f3a-5d2c8e1f4a6b,timestamp=1700000000123,sign=" +
          sig);
  EXPECT_EQ(out["headers"]["alipay-app-auth-token"], "token-abc");
  EXPECT_EQ(out["timestamp"], "1700000000123");
  const PeerKey peer = PeerKey::from_text(read_testdata("swifood/public_key.pem"));
  EXPECT_TRUE(peer.verify({SignAlg::kRsaPkcs1Sha256, 0},
                          as_bytes(read_testdata("alipay_v3/request-content.txt")),
                          *base64_decode(sig)));
}

TEST(AlipayV3Sign, RandomNoncesAndSettingChecks) {
  const AlipayV3Scheme scheme([] { return kFixedTime; });
  const Json in = {{"method", "GET"}, {"url", "/v3/alipay/trade/query"}};
  const KeySettings s = {{"alipay-v3.app-id", "2021"}};
  EXPECT_NE(scheme.sign(in, s, TestKey::shared().signer())["nonce"],
            scheme.sign(in, s, TestKey::shared().signer())["nonce"]);
  EXPECT_THROW(scheme.sign(in, {}, TestKey::shared().signer()), SchemeError);
  EXPECT_THROW(scheme.sign(in, {{"alipay-v3.app-id", "a,b"}}, TestKey::shared().signer()),
               SchemeError);
  EXPECT_THROW(scheme.sign({{"method", "GET"}, {"url", "/x\n"}}, s, TestKey::shared().signer()),
               SchemeError);
  EXPECT_TRUE(scheme.check_settings(s).empty());
  EXPECT_EQ(scheme.check_settings({}).size(), 1u);
  EXPECT_EQ(
      scheme.check_settings({{"alipay-v3.app-id", "1"}, {"alipay-v3.app-cert-sn", "x=y"}}).size(),
      1u);
}

TEST(AlipayV3Verify, AnswerKnownAnswerFromHeadersOrFields) {
  const PeerKey peer = PeerKey::from_text(read_testdata("swifood/public_key.pem"));
  const std::string body = R"({"code":"10000","trade_no":"2013112011001004330000121536"})";
  const std::string sig = trimmed(read_testdata("alipay_v3/answer-content.sig"));
  const Json headers = {{"Alipay-Timestamp", "1700000001456"},
                        {"alipay-nonce", "b1a2c3d4e5f60718293a4b5c6d7e8f90"},
                        {"alipay-signature", sig},
                        {"alipay-sn", "ignored"}};
  const AlipayV3Scheme scheme = fixed_scheme();
  EXPECT_TRUE(scheme.verify({{"headers", headers}, {"body", body}}, peer)["valid"]);
  EXPECT_TRUE(scheme.verify({{"timestamp", "1700000001456"},
                             {"nonce", "b1a2c3d4e5f60718293a4b5c6d7e8f90"},
                             {"signature", sig},
                             {"body", body}},
                            peer)["valid"]);
  EXPECT_FALSE(scheme.verify({{"headers", headers}, {"body", body + " "}}, peer)["valid"]);
  EXPECT_FALSE(
      scheme.verify({{"headers", headers}, {"body", body}}, TestKey::shared().peer())["valid"]);
  Json no_nonce = headers;
  no_nonce.erase("alipay-nonce");
  EXPECT_THROW(scheme.verify({{"headers", no_nonce}, {"body", body}}, peer), SchemeError);
  Json bad_sig = headers;
  bad_sig["alipay-signature"] = "%%%";
  EXPECT_FALSE(scheme.verify({{"headers", bad_sig}, {"body", body}}, peer)["valid"]);
}

}  // namespace
}  // namespace p11signd::schemes
