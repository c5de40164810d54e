#include "schemes/wechatpay.h"

#include <gtest/gtest.h>

#include <set>

#include "common/encoding.h"
#include "schemes/peer_key.h"
#include "schemes/testing/test_key.h"

namespace p11signd::schemes {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;
using testing::TestKey;

const system_clock::time_point kDocTime{seconds(1554208460)};
const KeySettings kSettings = {{"wechatpay.mchid", "1900009191"},
                               {"wechatpay.serial-no", "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C"}};

TEST(WechatPayMessage, RequestAndCallbackLayout) {
  // The example in WeChat Pay's v3 signing guide.
  EXPECT_EQ(wechatpay_request_message("GET", "/v3/certificates", "1554208460",
                                      "593BEC0C930BF1AFEB40B4A08C8FB242", ""),
            "GET\n/v3/certificates\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n");
  EXPECT_EQ(wechatpay_callback_message("1", "n", "{\"a\":\"b\\nc\"}"), "1\nn\n{\"a\":\"b\\nc\"}\n");
}

TEST(WechatPayUrlPath, StripsSchemeAndHostOnly) {
  EXPECT_EQ(wechatpay_url_path("https://api.mch.weixin.qq.com/v3/pay/transactions/id/1?mchid=2"),
            "/v3/pay/transactions/id/1?mchid=2");
  EXPECT_EQ(wechatpay_url_path("/v3/x?a=%20b"), "/v3/x?a=%20b");
  EXPECT_EQ(wechatpay_url_path("https://api.mch.weixin.qq.com"), "/");
  EXPECT_EQ(wechatpay_url_path("https://h?x=1"), "/?x=1");
}

TEST(WechatPaySettings, BothRequired) {
  const WechatPayScheme scheme([] { return kDocTime; });
  EXPECT_TRUE(scheme.check_settings(kSettings).empty());
  EXPECT_EQ(scheme.check_settings({{"wechatpay.mchid", "1"}}).size(), 1u);
}

TEST(WechatPayNonce, ThirtyTwoAlphanumericsAndNotRepeated) {
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    const std::string n = wechatpay_nonce();
    ASSERT_EQ(n.size(), 32u);
    for (const char c : n) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c))) << n;
    seen.insert(n);
  }
  EXPECT_EQ(seen.size(), 50u);
}

TEST(WechatPaySign, AuthorizationHeaderAndSignedMessage) {
  const WechatPayScheme scheme([] { return kDocTime; });
  std::string seen;
  const SigningKey spy{[&](const SignRequest& r, ByteView d) {
                         seen = std::string(as_chars(d));
                         return TestKey::shared().sign(r, d);
                       },
                       KeyType::kRsa};
  const Json in = Json::parse(
      R"({"method":"POST","url":"https://api.mch.weixin.qq.com/v3/pay/transactions/native",
                                  "body":"{\"description\":\"Image形象店-深圳腾大-QQ公仔\"}"})");
  const Json out = scheme.sign(in, kSettings, spy);
  const std::string nonce = out["nonce_str"].get<std::string>();
  EXPECT_EQ(out["timestamp"], "1554208460");
  EXPECT_EQ(seen, wechatpay_request_message("POST", "/v3/pay/transactions/native", "1554208460",
                                            nonce, in["body"].get<std::string>()));
  EXPECT_EQ(out["authorization"], "WECHATPAY2-SHA256-RSA2048 mchid=\"1900009191\",nonce_str=\"" +
                                      nonce +
                                      "\",timestamp=\"1554208460\",serial_no="
                                      "\"1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C\",signature=\"" +
                                      out["signature"].get<std::string>() + "\"");
  const auto sig = base64_decode(out["signature"].get<std::string>());
  ASSERT_TRUE(sig);
  EXPECT_TRUE(TestKey::shared().peer().verify({SignAlg::kRsaPkcs1Sha256, 0}, as_bytes(seen), *sig));
}

class WechatPayVerifyTest : public ::testing::Test {
 protected:
  Json callback(const std::string& body, const std::string& ts = "1554208460") {
    const std::string nonce = "fdasflkja484w";
    const Bytes sig = TestKey::shared().sign({SignAlg::kRsaPkcs1Sha256, 0},
                                             as_bytes(wechatpay_callback_message(ts, nonce, body)));
    return Json{
        {"timestamp", ts}, {"nonce", nonce}, {"signature", base64_encode(sig)}, {"body", body}};
  }
  system_clock::time_point now_ = kDocTime;
  WechatPayScheme scheme_{[this] { return now_; }};
  const std::string body_ = R"({"id":"EV-2018022511223320873","resource":{"ciphertext":"..."}})";
};

TEST_F(WechatPayVerifyTest, RoundTripFieldsOrHeaders) {
  const PeerKey peer = TestKey::shared().peer();
  const Json c = callback(body_);
  EXPECT_TRUE(scheme_.verify(c, peer)["valid"].get<bool>());
  const Json h{{"headers",
                {{"Wechatpay-Timestamp", c["timestamp"]},
                 {"WECHATPAY-NONCE", c["nonce"]},
                 {"wechatpay-signature", c["signature"]},
                 {"Wechatpay-Serial", "X"}}},
               {"body", body_}};
  EXPECT_TRUE(scheme_.verify(h, peer)["valid"].get<bool>());
  EXPECT_FALSE(scheme_.verify(c, TestKey::other().peer())["valid"].get<bool>());
}

TEST_F(WechatPayVerifyTest, ChangedBodyNonceOrTimestampFails) {
  const PeerKey peer = TestKey::shared().peer();
  for (const auto& [field, value] : std::vector<std::pair<std::string, std::string>>{
           {"body", body_ + " "}, {"nonce", "fdasflkja484x"}, {"timestamp", "1554208461"}}) {
    Json c = callback(body_);
    c[field] = value;
    EXPECT_FALSE(scheme_.verify(c, peer)["valid"].get<bool>()) << field;
  }
}

TEST_F(WechatPayVerifyTest, RefusesFiveMinutesOfSkewEitherWay) {
  const PeerKey peer = TestKey::shared().peer();
  const Json c = callback(body_);
  now_ = kDocTime + seconds(300);
  EXPECT_TRUE(scheme_.verify(c, peer)["valid"].get<bool>());
  now_ = kDocTime + seconds(301);
  EXPECT_FALSE(scheme_.verify(c, peer)["valid"].get<bool>());
  now_ = kDocTime - seconds(301);
  EXPECT_FALSE(scheme_.verify(c, peer)["valid"].get<bool>());
}

// With the callback's headers passed as received, errors name the header as the caller sent it.
TEST_F(WechatPayVerifyTest, HeaderErrorsNameTheHeaderAsSent) {
  const auto error_of = [&](const Json& headers) {
    try {
      scheme_.verify(Json{{"headers", headers}, {"body", body_}}, TestKey::shared().peer());
    } catch (const SchemeError& e) {
      return e.field() + " | " + e.what();
    }
    return std::string("no error");
  };
  const Json c = callback(body_);
  EXPECT_EQ(error_of({{"wechatpay-timestamp", "12a"},
                      {"Wechatpay-Nonce", c["nonce"]},
                      {"Wechatpay-Signature", c["signature"]}}),
            "headers.wechatpay-timestamp | headers.wechatpay-timestamp: must be decimal seconds "
            "since the epoch");
  EXPECT_EQ(error_of({{"Wechatpay-Nonce", c["nonce"]}, {"Wechatpay-Signature", c["signature"]}}),
            "headers.Wechatpay-Timestamp | headers.Wechatpay-Timestamp: is required");
  EXPECT_EQ(error_of({{"Wechatpay-Timestamp", c["timestamp"]},
                      {"Wechatpay-Nonce", c["nonce"]},
                      {"WECHATPAY-SIGNATURE", 5}}),
            "headers.WECHATPAY-SIGNATURE | headers.WECHATPAY-SIGNATURE: must be a string");
  EXPECT_EQ(error_of({{"Wechatpay-Timestamp", c["timestamp"]},
                      {"Wechatpay-Nonce", c["nonce"]},
                      {"wechatpay-nonce", c["nonce"]},
                      {"Wechatpay-Signature", c["signature"]}}),
            "headers.wechatpay-nonce | headers.wechatpay-nonce: is given twice (names are "
            "case-insensitive)");
}

TEST_F(WechatPayVerifyTest, ErrorsNameTheField) {
  const auto field_of = [&](const Json& in) {
    try {
      scheme_.verify(in, TestKey::shared().peer());
    } catch (const SchemeError& e) {
      return e.field();
    }
    return std::string("no error");
  };
  Json c = callback(body_);
  c.erase("nonce");
  EXPECT_EQ(field_of(c), "nonce");
  c = callback(body_);
  c["timestamp"] = "12a";
  EXPECT_EQ(field_of(c), "timestamp");
  // Out of range: the skew would overflow (undefined behaviour) before it is compared.
  for (const char* ts : {"-9223372036854775808", "9223372036854775807", "-1"}) {
    c["timestamp"] = ts;
    EXPECT_EQ(field_of(c), "timestamp") << ts;
  }
  EXPECT_EQ(field_of(Json{{"headers", {{"Wechatpay-Timestamp", "1"}}}}), "headers.Wechatpay-Nonce");
  const KeySettings settings{{"wechatpay.mchid", "1"}, {"wechatpay.serial-no", "2"}};
  for (const auto& [in, field] : std::vector<std::pair<Json, std::string>>{
           {{{"method", "GET\n/v3/other"}, {"url", "/v3/x"}}, "method"},
           {{{"method", ""}, {"url", "/v3/x"}}, "method"},
           {{{"method", "GET"}, {"url", "/v3/x\r\nAuthorization: forged"}}, "url"},
       }) {
    try {
      scheme_.sign(in, settings, TestKey::shared().signer());
      ADD_FAILURE() << in.dump();
    } catch (const SchemeError& e) {
      EXPECT_EQ(e.kind(), SchemeErrorKind::kBadRequest);
      EXPECT_EQ(e.field(), field) << e.what();
    }
  }
  try {
    scheme_.sign(Json::parse(R"({"method":"GET","url":"/v3/x"})"), {{"wechatpay.mchid", "1"}},
                 TestKey::shared().signer());
    FAIL();
  } catch (const SchemeError& e) {
    EXPECT_EQ(e.kind(), SchemeErrorKind::kUnprocessable);
    EXPECT_EQ(e.field(), "wechatpay.serial-no");
  }
}

}  // namespace
}  // namespace p11signd::schemes
