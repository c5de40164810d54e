#include "schemes/client_assertion.h"

#include <gtest/gtest.h>

#include "common/encoding.h"
#include "schemes/client_assertion_rules.h"
#include "schemes/jws.h"
#include "schemes/peer_key.h"
#include "schemes/testing/compact.h"
#include "schemes/testing/test_key.h"

namespace p11signd::schemes {
namespace {

using testing::split_compact;
using testing::TestKey;

constexpr std::int64_t kNow = 1700000000;
Clock clock_at(std::int64_t seconds) {
  return [seconds] { return std::chrono::system_clock::time_point(std::chrono::seconds(seconds)); };
}
// 00 01 .. 0f: jti "AAECAwQFBgcICQoLDA0ODw".
Bytes counting_bytes(std::size_t n) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(i);
  return b;
}
const ClientAssertionScheme kScheme(clock_at(kNow), counting_bytes);
const KeySettings kSettings = {{"client-assertion.client-id", "s6BhdRkqt3"},
                               {"client-assertion.audience", "https://server.example.com/token"},
                               {"client-assertion.kid", "k1"}};

Json part(const std::string& jwt, std::size_t i) {
  return Json::parse(as_chars(*base64url_decode(split_compact(jwt).at(i))));
}

std::string field_of_refusal(const std::function<void()>& f) {
  try {
    f();
  } catch (const SchemeError& e) {
    return e.field();
  }
  return "<no refusal>";
}

// RS256 is deterministic: with the clock and the random bytes fixed, the assertion is exactly the
// one openssl made from the same signing input (schemes/testdata/README.md).
TEST(ClientAssertionSign, KnownAnswerRs256) {
  const TestKey key = TestKey::from_pem(testing::read_testdata("swifood/private_key.pem"));
  std::string expected = testing::read_testdata("client-assertion/rs256-swifood-key.jwt");
  expected.erase(expected.find_last_not_of('\n') + 1);
  const Json out = kScheme.sign(Json::object(), kSettings, key.signer());
  EXPECT_EQ(out["client_assertion"], expected);
  EXPECT_EQ(out["client_assertion_type"], "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
  EXPECT_EQ(out["form"], (Json{{"client_assertion_type", kClientAssertionType},
                               {"client_assertion", expected}}));
  EXPECT_EQ(out["jti"], "AAECAwQFBgcICQoLDA0ODw");
  EXPECT_EQ(out["exp"], kNow + 300);
}

TEST(ClientAssertionSign, AudienceAlgLifetimeAndExtraClaims) {
  KeySettings settings = kSettings;
  settings["client-assertion.alg"] = "PS256";
  settings["client-assertion.lifetime"] = "60";
  const Json in{{"aud", {"https://as.example", "https://as.example/token"}},
                {"claims", {{"purpose", "test"}}}};
  const std::string jwt =
      kScheme.sign(in, settings, TestKey::shared().signer())["client_assertion"];
  EXPECT_EQ(part(jwt, 0), (Json{{"alg", "PS256"}, {"kid", "k1"}}));
  EXPECT_EQ(
      part(jwt, 1).dump(),
      R"({"iss":"s6BhdRkqt3","sub":"s6BhdRkqt3","aud":["https://as.example","https://as.example/token"],)"
      R"("jti":"AAECAwQFBgcICQoLDA0ODw","iat":1700000000,"exp":1700000060,"purpose":"test"})");
  // A request's alg wins over the setting.
  const std::string rs = kScheme.sign(Json{{"alg", "RS256"}}, settings,
                                      TestKey::shared().signer())["client_assertion"];
  EXPECT_EQ(part(rs, 0)["alg"], "RS256");
}

TEST(ClientAssertionSign, JtiIsFreshRandom128Bits) {
  const ClientAssertionScheme scheme(clock_at(kNow), openssl_random);
  const Json a = scheme.sign(Json::object(), kSettings, TestKey::shared().signer());
  const Json b = scheme.sign(Json::object(), kSettings, TestKey::shared().signer());
  EXPECT_NE(a["jti"], b["jti"]);
  EXPECT_EQ(base64url_decode(a["jti"].get<std::string>())->size(), 16u);
}

TEST(ClientAssertionSign, RefusalsNameTheField) {
  const SigningKey key = TestKey::shared().signer();
  for (const char* reserved : {"iss", "sub", "aud", "jti", "iat", "exp", "nbf"}) {
    EXPECT_EQ(field_of_refusal([&] {
                kScheme.sign(Json{{"claims", {{reserved, 1}}}}, kSettings, key);
              }),
              std::string("claims.") + reserved);
  }
  EXPECT_EQ(field_of_refusal([&] { kScheme.sign(Json::object(), {}, key); }),
            "client-assertion.client-id");
  EXPECT_EQ(field_of_refusal([&] {
              kScheme.sign(Json::object(), {{"client-assertion.client-id", "c"}}, key);
            }),
            "aud");
  EXPECT_EQ(field_of_refusal([&] {
              kScheme.sign(Json{{"aud", Json::array()}}, kSettings, key);
            }),
            "aud");
  EXPECT_EQ(field_of_refusal([&] { kScheme.sign(Json{{"alg", "HS256"}}, kSettings, key); }), "alg");
  EXPECT_EQ(field_of_refusal([&] {
              kScheme.sign(Json{{"claims", "x"}}, kSettings, key);
            }),
            "claims");
  KeySettings bad = kSettings;
  bad["client-assertion.lifetime"] = "3601";
  EXPECT_EQ(field_of_refusal([&] { kScheme.sign(Json::object(), bad, key); }),
            "client-assertion.lifetime");
  bad = kSettings;
  bad["client-assertion.alg"] = "ES256";  // not with an RSA key, whatever the build maps
  EXPECT_EQ(field_of_refusal([&] { kScheme.sign(Json::object(), bad, key); }),
            "client-assertion.alg");
}

// An EC key signs ES256 once jws.h maps it; until then it is refused by name, never signed with an
// RSA algorithm.
TEST(ClientAssertionSign, EcKeyTakesEs256WhereJwsMapsIt) {
  const TestKey ec = TestKey::generate(KeyType::kEcP256);
  if (!jws_sign_request("ES256")) {
    EXPECT_EQ(field_of_refusal([&] { kScheme.sign(Json::object(), kSettings, ec.signer()); }),
              "client-assertion.alg");
    const auto types = kScheme.key_types();
    EXPECT_EQ(types, std::vector<KeyType>{KeyType::kRsa});
    return;
  }
  const std::string jwt = kScheme.sign(Json::object(), kSettings, ec.signer())["client_assertion"];
  EXPECT_EQ(part(jwt, 0)["alg"], "ES256");
  const Json v = kScheme.verify(
      Json{{"client_assertion", jwt}, {"aud", "https://server.example.com/token"}}, ec.peer());
  EXPECT_EQ(v["valid"], true) << v;
}

TEST(ClientAssertionSettings, LifetimeAboveTheMaximumIsAProblem) {
  EXPECT_EQ(kScheme.check_settings({}),
            std::vector<std::string>{"client-assertion.client-id is not set"});
  EXPECT_TRUE(kScheme.check_settings(kSettings).empty());
  for (const char* bad : {"3601", "0", "-5", "5m", "60 "}) {
    KeySettings s = kSettings;
    s["client-assertion.lifetime"] = bad;
    ASSERT_EQ(kScheme.check_settings(s).size(), 1u) << bad;
    EXPECT_EQ(kScheme.check_settings(s)[0].rfind("client-assertion.lifetime: '", 0), 0u);
  }
  KeySettings s = kSettings;
  s["client-assertion.lifetime"] = "3600";
  EXPECT_TRUE(kScheme.check_settings(s).empty());
  s["client-assertion.alg"] = "HS256";
  EXPECT_EQ(kScheme.check_settings(s).size(), 1u);
}

TEST(ClientAssertionVerify, SignatureAudienceAndExpiry) {
  const std::string jwt =
      kScheme.sign(Json::object(), kSettings, TestKey::shared().signer())["client_assertion"];
  const PeerKey peer = TestKey::shared().peer();
  const Json want{{"client_assertion", jwt}, {"aud", "https://server.example.com/token"}};
  const Json ok = kScheme.verify(want, peer);
  ASSERT_EQ(ok["valid"], true) << ok;
  EXPECT_EQ(ok["claims"]["sub"], "s6BhdRkqt3");
  EXPECT_EQ(kScheme.verify(want, TestKey::other().peer())["valid"], false);
  Json other_aud = want;
  other_aud["aud"] = "https://other.example";
  EXPECT_EQ(kScheme.verify(other_aud, peer)["reason"], "aud does not name https://other.example");
  Json pinned = want;
  pinned["client_id"] = "someone-else";
  EXPECT_EQ(kScheme.verify(pinned, peer)["reason"], "iss is not someone-else");
  pinned["client_id"] = "s6BhdRkqt3";
  EXPECT_EQ(kScheme.verify(pinned, peer)["valid"], true);
  const ClientAssertionScheme later(clock_at(kNow + 300), counting_bytes);
  EXPECT_EQ(later.verify(want, peer)["reason"], "the token has expired (exp 1700000300)");
  const ClientAssertionScheme earlier(clock_at(kNow - 61), counting_bytes);
  EXPECT_EQ(earlier.verify(want, peer)["reason"], "iat is in the future");
  Json wrong_alg = want;
  wrong_alg["alg"] = "PS256";
  EXPECT_EQ(kScheme.verify(wrong_alg, peer)["reason"], "header alg 'RS256' is not accepted");
}

// Claims the scheme would never write, properly signed: only the rules refuse them.
TEST(ClientAssertionVerify, ClaimRules) {
  const auto signed_claims = [](const Json& claims) {
    return jws_sign_compact(Json{{"alg", "RS256"}}, as_bytes(claims.dump()),
                            TestKey::shared().signer());
  };
  const Json base{{"iss", "c"}, {"sub", "c"}, {"aud", "A"}, {"jti", "j"}, {"exp", kNow + 60}};
  const std::vector<std::pair<Json, std::string>> cases = {
      {Json{{"iss", "c"}, {"sub", "d"}, {"aud", "A"}, {"jti", "j"}, {"exp", kNow + 60}},
       "sub differs from iss"},
      {Json{{"iss", "c"}, {"sub", "c"}, {"aud", "A"}, {"exp", kNow + 60}},
       "jti is missing or not a string"},
      {Json{{"iss", "c"}, {"sub", "c"}, {"aud", "A"}, {"jti", "j"}},
       "exp is missing or not a whole number of seconds"},
      {Json{{"iss", "c"}, {"sub", "c"}, {"aud", "A"}, {"jti", "j"}, {"exp", kNow + 3601}},
       "exp is more than 3600 seconds ahead"},
      {Json{{"iss", "c"}, {"sub", "c"}, {"aud", {"B", "A"}}, {"jti", "j"}, {"exp", -1}},
       "exp is missing or not a whole number of seconds"},
      {Json{{"sub", "c"}, {"aud", "A"}, {"jti", "j"}, {"exp", kNow + 60}},
       "iss is missing or not a string"},
  };
  for (const auto& [claims, reason] : cases) {
    const Json v = kScheme.verify(Json{{"client_assertion", signed_claims(claims)}, {"aud", "A"}},
                                  TestKey::shared().peer());
    EXPECT_EQ(v["reason"], reason) << claims.dump();
  }
  const Json v = kScheme.verify(Json{{"client_assertion", signed_claims(base)}, {"aud", "A"}},
                                TestKey::shared().peer());
  EXPECT_EQ(v["valid"], true) << v;
}

TEST(RequestObject, ClaimsHeaderAndVerify) {
  const Json params{{"response_type", "code"},
                    {"client_id", "s6BhdRkqt3"},
                    {"redirect_uri", "https://client.example.org/cb"},
                    {"scope", "openid"},
                    {"state", "af0ifjsldkj"},
                    {"code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"},
                    {"code_challenge_method", "S256"}};
  const Json out = kScheme.run_action("request-object", Json{{"params", params}}, kSettings,
                                      TestKey::shared().signer());
  const std::string jwt = out["request"];
  EXPECT_EQ(part(jwt, 0), (Json{{"alg", "RS256"}, {"kid", "k1"}, {"typ", "oauth-authz-req+jwt"}}));
  EXPECT_EQ(
      part(jwt, 1).dump(),
      R"({"iss":"s6BhdRkqt3","aud":"https://server.example.com/token","client_id":"s6BhdRkqt3",)"
      R"("jti":"AAECAwQFBgcICQoLDA0ODw","iat":1700000000,"nbf":1700000000,"exp":1700000300,)"
      R"("response_type":"code","redirect_uri":"https://client.example.org/cb","scope":"openid",)"
      R"("state":"af0ifjsldkj","code_challenge":"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",)"
      R"("code_challenge_method":"S256"})");
  const PeerKey peer = TestKey::shared().peer();
  const Json ok =
      kScheme.verify(Json{{"request", jwt}, {"aud", "https://server.example.com/token"}}, peer);
  EXPECT_EQ(ok["valid"], true) << ok;
  // Explicit typing keeps one from passing for the other.
  EXPECT_EQ(
      kScheme.verify(Json{{"client_assertion", jwt}, {"aud", "https://server.example.com/token"}},
                     peer)["reason"],
      "a request object is not a client assertion");
  const std::string assertion =
      kScheme.sign(Json::object(), kSettings, TestKey::shared().signer())["client_assertion"];
  EXPECT_EQ(
      kScheme.verify(Json{{"request", assertion}, {"aud", "https://server.example.com/token"}},
                     peer)["reason"],
      "header typ is not oauth-authz-req+jwt");
}

TEST(RequestObject, RefusesReservedAndNestedParameters) {
  const SigningKey key = TestKey::shared().signer();
  const auto refused = [&](const Json& params) {
    return field_of_refusal([&] {
      kScheme.run_action("request-object", Json{{"params", params}}, kSettings, key);
    });
  };
  EXPECT_EQ(refused(Json{{"exp", 1}}), "params.exp");
  EXPECT_EQ(refused(Json{{"iss", "x"}}), "params.iss");
  EXPECT_EQ(refused(Json{{"request", "x"}}), "params.request");
  EXPECT_EQ(refused(Json{{"request_uri", "x"}}), "params.request_uri");
  EXPECT_EQ(refused(Json{{"client_id", "other"}}), "params.client_id");
  EXPECT_EQ(field_of_refusal(
                [&] { kScheme.run_action("request-object", Json::object(), kSettings, key); }),
            "params");
}

}  // namespace
}  // namespace p11signd::schemes
