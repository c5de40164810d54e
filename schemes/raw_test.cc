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

// The body of /v1/keys/NAME/sign and /verify: alg defaults to RSA-SHA256, PSS may use salt_len 20.
TEST(RawScheme, ReadsTheDaemonsRawBody) {
  const RawScheme scheme;
  const PeerKey peer = TestKey::shared().peer();
  const std::string data = base64_encode(as_bytes("hello"));
  const Json plain = scheme.sign(Json{{"data", data}}, {}, TestKey::shared().signer());
  EXPECT_EQ(plain["alg"], "RSA-SHA256");
  EXPECT_TRUE(scheme.verify(Json{{"data", data}, {"signature", plain["signature"]}}, peer)["valid"]
                  .get<bool>());

  const Json pss20 = scheme.sign(Json{{"alg", "RSA-PSS-SHA256"}, {"salt_len", 20}, {"data", data}},
                                 {}, TestKey::shared().signer());
  Json check{{"alg", "RSA-PSS-SHA256"}, {"data", data}, {"signature", pss20["signature"]}};
  EXPECT_FALSE(scheme.verify(check, peer)["valid"].get<bool>());  // salt 32 is assumed
  check["salt_len"] = 20;
  const Json ok = scheme.verify(check, peer);
  EXPECT_TRUE(ok["valid"].get<bool>());
  EXPECT_EQ(ok["reason"], "signature matches");
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
  EXPECT_EQ(field_of(R"({"alg":"RSA-MD5","data":"AA=="})"), "alg:422");
  EXPECT_EQ(field_of(R"({"alg":7,"data":"AA=="})"), "alg:400");
  EXPECT_EQ(field_of(R"({"alg":"RSA-PSS-SHA256","salt_len":16,"data":"AA=="})"), "salt_len:422");
  EXPECT_EQ(field_of(R"({"alg":"RSA-PSS-SHA256","salt_len":"20","data":"AA=="})"), "salt_len:422");
  EXPECT_EQ(field_of(R"({"alg":"RSA-SHA256"})"), "data:400");
  EXPECT_EQ(field_of(R"({"alg":"RSA-SHA256","data":"A"})"), "data:400");
  EXPECT_EQ(field_of(R"({"alg":"RSA-SHA256","data":7})"), "data:400");
  EXPECT_EQ(field_of(R"("x")"), "body:400");
}

}  // namespace
}  // namespace p11signd::schemes
