#include "schemes/jws.h"

#include <gtest/gtest.h>

#include "common/encoding.h"
#include "common/json_bounds.h"
#include "schemes/peer_key.h"
#include "schemes/testing/compact.h"
#include "schemes/testing/test_key.h"

namespace p11signd::schemes {
namespace {

using testing::split_compact;
using testing::TestKey;

std::string decoded(const std::string& b64url) {
  const auto b = base64url_decode(b64url);
  return b ? std::string(as_chars(*b)) : "<bad>";
}

TEST(JwsSigningInput, HeaderAsWrittenDotPayload) {
  const Json header{{"alg", "RS256"}, {"kid", "k1"}};
  EXPECT_EQ(jws_signing_input(header, as_bytes("{\"a\":1}")),
            base64url_encode(as_bytes(R"({"alg":"RS256","kid":"k1"})")) + "." +
                base64url_encode(as_bytes("{\"a\":1}")));
}

TEST(JwsSignRequest, RsaAlgsAndNothingUnknown) {
  EXPECT_EQ(jws_sign_request("RS256")->alg, SignAlg::kRsaPkcs1Sha256);
  EXPECT_EQ(jws_sign_request("PS256")->alg, SignAlg::kRsaPssSha256);
  EXPECT_EQ(jws_sign_request("PS256")->salt_len, 32u);
  EXPECT_FALSE(jws_sign_request("HS256"));
  EXPECT_FALSE(jws_sign_request("none"));
  EXPECT_FALSE(jws_sign_request("rs256"));
}

TEST(JwsSign, HeaderKidFromSettingsAndExtras) {
  const JwsScheme scheme;
  const Json in = Json::parse(
      R"({"alg":"PS256","payload":{"sub":"ü-1","n":2},"header":{"typ":"JWT","cty":"x"}})");
  const Json out = scheme.sign(in, {{"jws.kid", "key-7"}}, TestKey::shared().signer());
  const auto parts = split_compact(out["jws"].get<std::string>());
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(decoded(parts[0]), R"({"alg":"PS256","kid":"key-7","typ":"JWT","cty":"x"})");
  EXPECT_EQ(decoded(parts[1]), R"({"sub":"ü-1","n":2})");
  EXPECT_EQ(parts[2].find('='), std::string::npos);
}

TEST(JwsSign, RoundTripBothAlgorithmsAndEveryChangeFails) {
  const JwsScheme scheme;
  const PeerKey peer = TestKey::shared().peer();
  for (const char* alg : {"RS256", "PS256"}) {
    const Json in{{"alg", alg}, {"payload_b64", base64url_encode(as_bytes("raw bytes + % &"))}};
    const std::string jws =
        scheme.sign(in, {}, TestKey::shared().signer())["jws"].get<std::string>();
    const Json ok = scheme.verify(Json{{"jws", jws}}, peer);
    ASSERT_TRUE(ok["valid"].get<bool>()) << alg << ok.dump();
    EXPECT_EQ(ok["header"]["alg"], alg);
    EXPECT_EQ(ok["payload_b64"], base64url_encode(as_bytes("raw bytes + % &")));
    EXPECT_FALSE(scheme.verify(Json{{"jws", jws}}, TestKey::other().peer())["valid"].get<bool>());
    auto parts = split_compact(jws);
    // A changed payload, a header claiming the other algorithm, a flipped signature byte.
    const std::string other_alg = std::string(alg) == "RS256" ? "PS256" : "RS256";
    const std::vector<std::string> forged = {
        parts[0] + "." + base64url_encode(as_bytes("raw bytes + % ')")) + "." + parts[2],
        base64url_encode(as_bytes("{\"alg\":\"" + other_alg + "\"}")) + "." + parts[1] + "." +
            parts[2],
        parts[0] + "." + parts[1] + "." + (parts[2][0] == 'A' ? "B" : "A") + parts[2].substr(1)};
    for (const auto& f : forged) {
      EXPECT_FALSE(scheme.verify(Json{{"jws", f}}, peer)["valid"].get<bool>()) << f;
    }
    EXPECT_FALSE(scheme.verify(Json{{"jws", jws}, {"alg", other_alg}}, peer)["valid"].get<bool>());
  }
}

TEST(JwsVerify, RefusesNoneHs256AndMalformedTokens) {
  const JwsScheme scheme;
  const PeerKey peer = TestKey::shared().peer();
  const std::string payload = base64url_encode(as_bytes("{}"));
  for (const std::string& jws :
       {base64url_encode(as_bytes(R"({"alg":"none"})")) + "." + payload + ".",
        base64url_encode(as_bytes(R"({"alg":"HS256"})")) + "." + payload + ".AAAA",
        std::string("a.b"), std::string("a.b.c.d"), std::string("!!.e30.AA"),
        base64url_encode(as_bytes("[1]")) + ".e30.AA"}) {
    const Json v = scheme.verify(Json{{"jws", jws}}, peer);
    EXPECT_FALSE(v["valid"].get<bool>()) << jws;
    EXPECT_FALSE(v["reason"].get<std::string>().empty());
  }
}

// A payload is parsed within the limits of every request body (common/json_bounds.h): at the
// depth limit it comes back parsed, one level deeper as it was signed (payload_b64), unparsed. A
// header past the limits is refused.
TEST(JwsVerify, PayloadIsParsedUpToTheDepthLimitAndNoDeeper) {
  const JwsScheme scheme;
  const auto jws_nesting = [](std::size_t depth) {
    const std::string payload = std::string(depth, '[') + std::string(depth, ']');
    return jws_sign_compact(Json{{"alg", "RS256"}}, as_bytes(payload), TestKey::shared().signer());
  };
  const Json at =
      scheme.verify(Json{{"jws", jws_nesting(kMaxJsonDepth)}}, TestKey::shared().peer());
  ASSERT_TRUE(at["valid"].get<bool>()) << at;
  EXPECT_TRUE(at.contains("payload"));
  const Json past =
      scheme.verify(Json{{"jws", jws_nesting(kMaxJsonDepth + 1)}}, TestKey::shared().peer());
  ASSERT_TRUE(past["valid"].get<bool>()) << past;
  EXPECT_FALSE(past.contains("payload"));
  EXPECT_EQ(decoded(past["payload_b64"].get<std::string>()),
            std::string(kMaxJsonDepth + 1, '[') + std::string(kMaxJsonDepth + 1, ']'));

  const std::string deep_header = R"({"alg":"RS256","x":)" + std::string(kMaxJsonDepth, '[') +
                                  std::string(kMaxJsonDepth, ']') + "}";
  const Json refused = scheme.verify(
      Json{{"jws", base64url_encode(as_bytes(deep_header)) + ".e30.AA"}}, TestKey::shared().peer());
  EXPECT_FALSE(refused["valid"].get<bool>());
  EXPECT_NE(refused["reason"].get<std::string>().find("deeper than 64 levels"), std::string::npos)
      << refused;
}

// RFC 7515 4.1.11: a recipient must reject a JWS whose crit names an extension it does not
// understand. b64:false (RFC 7797) changes what the signature covers; sign() refuses it too.
TEST(JwsVerify, RefusesCritAndB64EvenWhenTheSignatureMatches) {
  const JwsScheme scheme;
  const PeerKey peer = TestKey::shared().peer();
  const std::vector<std::pair<Json, std::string>> cases = {
      {Json{{"alg", "RS256"}, {"crit", {"urn:x:must-understand"}}, {"urn:x:must-understand", 1}},
       "crit names an extension this verifier does not support: urn:x:must-understand"},
      {Json{{"alg", "RS256"}, {"b64", false}, {"crit", {"b64"}}},
       "crit names an extension this verifier does not support: b64"},
      {Json{{"alg", "RS256"}, {"b64", false}}, "b64"}};
  for (const auto& [header, reason] : cases) {
    const std::string jws =
        jws_sign_compact(header, as_bytes(R"({"a":1})"), TestKey::shared().signer());
    const Json v = scheme.verify(Json{{"jws", jws}}, peer);
    EXPECT_FALSE(v["valid"].get<bool>()) << header.dump();
    EXPECT_NE(v["reason"].get<std::string>().find(reason), std::string::npos) << v.dump();
    EXPECT_FALSE(v.contains("payload")) << v.dump();
  }
}

TEST(JwsErrors, NameTheField) {
  const JwsScheme scheme;
  const auto field_of = [&](const char* json) {
    try {
      scheme.sign(Json::parse(json), {}, TestKey::shared().signer());
    } catch (const SchemeError& e) {
      return e.field() + (e.kind() == SchemeErrorKind::kBadRequest ? ":400" : ":422");
    }
    return std::string("no error");
  };
  EXPECT_EQ(field_of(R"({})"), "payload:400");
  EXPECT_EQ(field_of(R"({"payload":{},"payload_b64":"e30"})"), "payload:400");
  EXPECT_EQ(field_of(R"({"payload":"text"})"), "payload:400");
  EXPECT_EQ(field_of(R"({"payload_b64":"e30="})"), "no error");  // padding tolerated on input
  EXPECT_EQ(field_of(R"({"payload_b64":"+/"})"), "payload_b64:400");
  EXPECT_EQ(field_of(R"({"alg":"HS256","payload":{}})"), "alg:422");
  EXPECT_EQ(field_of(R"({"alg":5,"payload":{}})"), "alg:400");
  EXPECT_EQ(field_of(R"({"payload":{},"header":{"alg":"PS256"}})"), "header.alg:422");
  EXPECT_EQ(field_of(R"({"payload":{},"header":[]})"), "header:400");
}

}  // namespace
}  // namespace p11signd::schemes
