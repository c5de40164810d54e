#include "schemes/swifood.h"

#include <gtest/gtest.h>

#include "common/encoding.h"
#include "schemes/peer_key.h"
#include "schemes/testing/test_key.h"

namespace p11signd::schemes {
namespace {

using testing::read_testdata;
using testing::TestKey;

std::string chomp(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

const KeySettings kSettings = {{"swifood.app-id", "45eebd745dcf0b5f6d6f9fcde28cd9fe8116a892"},
                               {"swifood.store-key", "CVIEIYUNHTS0"}};

TEST(SwifoodKat, SignOfTheSeedParamReproducesTheSeedSignByteForByte) {
  const SwifoodScheme scheme;
  const std::string param = read_testdata("swifood/param.json");
  ASSERT_EQ(param.back(), '}');  // no trailing newline: the exact bytes matter
  const TestKey seed_key = TestKey::from_pem(read_testdata("swifood/private_key.pem"));
  const Json out = scheme.sign(Json{{"param", param}}, kSettings, seed_key.signer());
  EXPECT_EQ(out["sign"], chomp(read_testdata("swifood/sign.b64")));
  EXPECT_EQ(out["param"], param);
  EXPECT_EQ(out["appId"], "45eebd745dcf0b5f6d6f9fcde28cd9fe8116a892");
  EXPECT_EQ(out["storeKey"], "CVIEIYUNHTS0");
  EXPECT_EQ(out.begin().key(), "appId");  // body order as the seed prints it
}

TEST(SwifoodKat, SeedSignVerifiesWithThePublicKeyAndFailsOnAnyChange) {
  const SwifoodScheme scheme;
  const PeerKey peer = PeerKey::from_text(read_testdata("swifood/public_key.pem"));
  const std::string param = read_testdata("swifood/param.json");
  const std::string sign = chomp(read_testdata("swifood/sign.b64"));
  EXPECT_TRUE(scheme.verify(Json{{"param", param}, {"sign", sign}}, peer)["valid"].get<bool>());
  std::string changed = param;
  changed[changed.find("2000")] = '3';
  EXPECT_FALSE(scheme.verify(Json{{"param", changed}, {"sign", sign}}, peer)["valid"].get<bool>());
  // Same JSON meaning, other bytes (compact): must not verify - the exact text is signed.
  const std::string compact = Json::parse(param).dump();
  EXPECT_FALSE(scheme.verify(Json{{"param", compact}, {"sign", sign}}, peer)["valid"].get<bool>());
  // The push key is a different key.
  const PeerKey push = PeerKey::from_text(chomp(read_testdata("swifood/push_public_key.b64")));
  EXPECT_FALSE(scheme.verify(Json{{"param", param}, {"sign", sign}}, push)["valid"].get<bool>());
}

TEST(SwifoodParamText, StringIsExactObjectIsSerialisedOnceInOrder) {
  EXPECT_EQ(swifood_param_text(Json("{ \"b\":1,\n\"a\":\"ü+%&\" }")),
            "{ \"b\":1,\n\"a\":\"ü+%&\" }");
  EXPECT_EQ(swifood_param_text(Json::parse(R"({"z":1,"a":"x-y"})")), R"({"z":1,"a":"x-y"})");
}

TEST(SwifoodSign, ObjectParamIsReturnedAsTheSignedText) {
  const SwifoodScheme scheme;
  const Json in = Json::parse(R"({"param":{"mchOrderId":"A-1","amount":2000,"remark":"ü 100%"}})");
  const Json out = scheme.sign(in, kSettings, TestKey::shared().signer());
  ASSERT_TRUE(out["param"].is_string());
  EXPECT_EQ(out["param"], R"({"mchOrderId":"A-1","amount":2000,"remark":"ü 100%"})");
  const Json v =
      scheme.verify(Json{{"param", out["param"]}, {"sign", out["sign"]}}, TestKey::shared().peer());
  EXPECT_TRUE(v["valid"].get<bool>());
}

TEST(SwifoodErrors, NameTheFieldOrSetting) {
  const SwifoodScheme scheme;
  const SigningKey signer = TestKey::shared().signer();
  try {
    scheme.sign(Json::parse(R"({"param":5})"), kSettings, signer);
    FAIL();
  } catch (const SchemeError& e) {
    EXPECT_EQ(e.kind(), SchemeErrorKind::kBadRequest);
    EXPECT_EQ(e.field(), "param");
  }
  try {
    scheme.sign(Json::parse(R"({"param":"{}"})"), {{"swifood.app-id", "x"}}, signer);
    FAIL();
  } catch (const SchemeError& e) {
    EXPECT_EQ(e.kind(), SchemeErrorKind::kUnprocessable);
    EXPECT_EQ(e.field(), "swifood.store-key");
  }
  try {
    scheme.verify(Json::parse(R"({"param":{},"sign":"x"})"), TestKey::shared().peer());
    FAIL();
  } catch (const SchemeError& e) {
    EXPECT_EQ(e.field(), "param");
  }
  EXPECT_EQ(scheme.check_settings({}).size(), 2u);
  EXPECT_TRUE(scheme.check_settings(kSettings).empty());
}

}  // namespace
}  // namespace p11signd::schemes
