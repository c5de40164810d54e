#include "schemes/raw.h"

#include <gtest/gtest.h>

#include "common/encoding.h"
#include "schemes/peer_key.h"
#include "schemes/testing/test_key.h"

namespace p11signd::schemes {
namespace {

using testing::TestKey;

TEST(RawScheme, SignVerifyBothAlgorithms) {
  const RawScheme scheme;
  const PeerKey peer = TestKey::shared().peer();
  const std::string data = base64_encode(as_bytes("any bytes \x01\xff"));
  for (const char* alg : {"RSA-SHA256", "RSA-PSS-SHA256"}) {
    const Json out =
        scheme.sign(Json{{"alg", alg}, {"data", data}}, {}, TestKey::shared().signer());
    EXPECT_EQ(out["alg"], alg);
    const Json ok =
        scheme.verify(Json{{"alg", alg}, {"data", data}, {"signature", out["signature"]}}, peer);
    EXPECT_TRUE(ok["valid"].get<bool>());
    const std::string other = base64_encode(as_bytes("any bytes \x01\xfe"));
    EXPECT_FALSE(scheme
                     .verify(Json{{"alg", alg}, {"data", other}, {"signature", out["signature"]}},
                             peer)["valid"]
                     .get<bool>());
  }
}

TEST(RawScheme, EmptyDataIsSignable) {
  const RawScheme scheme;
  const Json out =
      scheme.sign(Json{{"alg", "RSA-SHA256"}, {"data", ""}}, {}, TestKey::shared().signer());
  EXPECT_TRUE(
      scheme
          .verify(Json{{"alg", "RSA-SHA256"}, {"data", ""}, {"signature", out["signature"]}},
                  TestKey::shared().peer())["valid"]
          .get<bool>());
}

TEST(RawScheme, ErrorsNameTheField) {
  const RawScheme scheme;
  const auto field_of = [&](const char* json) {
    try {
      scheme.sign(Json::parse(json), {}, TestKey::shared().signer());
    } catch (const SchemeError& e) {
      return e.field() + (e.kind() == SchemeErrorKind::kBadRequest ? ":400" : ":422");
    }
    return std::string("no error");
  };
  EXPECT_EQ(field_of(R"({"data":"AA=="})"), "alg:400");
  EXPECT_EQ(field_of(R"({"alg":"RSA-MD5","data":"AA=="})"), "alg:400");
  EXPECT_EQ(field_of(R"({"alg":"RSA-SHA256"})"), "data:400");
  EXPECT_EQ(field_of(R"({"alg":"RSA-SHA256","data":"A"})"), "data:400");
  EXPECT_EQ(field_of(R"({"alg":"RSA-SHA256","data":7})"), "data:400");
  EXPECT_EQ(field_of(R"("x")"), "body:400");
}

}  // namespace
}  // namespace p11signd::schemes
