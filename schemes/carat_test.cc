#include "schemes/carat.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>

#include <unistd.h>

#include "common/encoding.h"
#include "common/json_bounds.h"
#include "schemes/jws.h"
#include "schemes/peer_key.h"
#include "schemes/testing/test_key.h"

namespace p11signd::schemes {
namespace {

using std::chrono::milliseconds;
using std::chrono::system_clock;
using testing::TestKey;

// 1605034925174 ms: the seed's example timestamp.
const system_clock::time_point kSeedTime{milliseconds(1605034925174)};

class CaratTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // ctest runs each test in its own process, in parallel: one file per process.
    key_file_ = ::testing::TempDir() + "carat_merchant_key." + std::to_string(::getpid());
    std::ofstream(key_file_)
        << "F19DE00177C301DF24A865F11AA9B2567F604891F0F44DDAEFD69E3399E0B7E1\n";
    settings_ = {{"carat.merchant-id", "LOJATESTE"}, {"carat.merchant-key-file", key_file_}};
  }
  void TearDown() override { std::remove(key_file_.c_str()); }

  system_clock::time_point now_ = kSeedTime;
  CaratScheme scheme_{[this] { return now_; }};
  std::string key_file_;
  KeySettings settings_;
};

TEST(CaratHeader, IsExactlyRs256JwtNotTheSeedsHs256Example) {
  EXPECT_EQ(carat_header().dump(), R"({"alg":"RS256","typ":"JWT"})");
  EXPECT_EQ(base64url_encode(as_bytes(carat_header().dump())),
            "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9");
  // The seed's "Base64 header" decodes to HS256: the trap this scheme must not copy.
  EXPECT_NE(base64url_encode(as_bytes(carat_header().dump())),
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9");
}

TEST(CaratClaims, SeedPayloadIsReproducedByteForByte) {
  const Json request =
      Json::parse(R"({"order_id":"182367r12831t29b","merchant_usn":"92837429837"})");
  const Json claims = carat_claims(request, "XXXXX", "XXXXXXXXXXXXXXX", kSeedTime);
  // The seed's "Base64 payload" for exactly these claims.
  EXPECT_EQ(base64url_encode(as_bytes(claims.dump())),
            "eyJtZXJjaGFudF9pZCI6IlhYWFhYIiwibWVyY2hhbnRfa2V5IjoiWFhYWFhYWFhYWFhYWFhYIiwib3JkZXJfaW"
            "QiOiIxODIz"
            "NjdyMTI4MzF0MjliIiwibWVyY2hhbnRfdXNuIjoiOTI4Mzc0Mjk4MzciLCJ0aW1lc3RhbXAiOiIxNjA1MDM0OT"
            "I1MTc0In0");
}

TEST(CaratClaims, RequestValuesWinAndKeepTheirPlace) {
  const Json request = Json::parse(R"({"nit":"n","merchant_id":"OTHER","timestamp":"1"})");
  const Json claims = carat_claims(request, "M", "K", kSeedTime);
  EXPECT_EQ(claims.dump(),
            R"({"merchant_key":"K","nit":"n","merchant_id":"OTHER","timestamp":"1"})");
}

TEST(CaratService, RequiredFieldsPerService) {
  const Json base = Json::parse(R"({"merchant_id":"m","merchant_key":"k","timestamp":"1"})");
  EXPECT_NO_THROW(carat_check_service("merchant", base));
  EXPECT_NO_THROW(carat_check_service("transaction", base));
  try {
    carat_check_service("merchant-edit", base);
    FAIL();
  } catch (const SchemeError& e) {
    EXPECT_EQ(e.kind(), SchemeErrorKind::kUnprocessable);
    EXPECT_EQ(e.field(), "claims.registered_merchant_id");
  }
  Json with_empty_nit = base;
  with_empty_nit["nit"] = "";
  try {
    carat_check_service("other", with_empty_nit);
    FAIL();
  } catch (const SchemeError& e) {
    EXPECT_EQ(e.field(), "claims.nit");
  }
  try {
    carat_check_service("refund", base);
    FAIL();
  } catch (const SchemeError& e) {
    EXPECT_EQ(e.field(), "service");
  }
}

TEST_F(CaratTest, SignReadsTheKeyFileAndGivesABearerHeader) {
  const Json in =
      Json::parse(R"({"claims":{"order_id":"182367r12831t29b","merchant_usn":"92837429837"},
                                  "service":"transaction"})");
  const Json out = scheme_.sign(in, settings_, TestKey::shared().signer());
  const std::string jwt = out["jwt"].get<std::string>();
  EXPECT_EQ(out["authorization"], "Bearer " + jwt);
  EXPECT_EQ(jwt.substr(0, jwt.find('.')), "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9");
  std::string reason;
  const auto parts = jws_parse(jwt, &reason);
  ASSERT_TRUE(parts) << reason;
  EXPECT_EQ(
      std::string(as_chars(parts->payload)),
      R"({"merchant_id":"LOJATESTE","merchant_key":"F19DE00177C301DF24A865F11AA9B2567F604891F0F44DDAEFD69E3399E0B7E1",)"
      R"("order_id":"182367r12831t29b","merchant_usn":"92837429837","timestamp":"1605034925174"})");
}

TEST_F(CaratTest, RoundTripWithinTenMinutesAndStaleOrForgedFails) {
  const Json out =
      scheme_.sign(Json::parse(R"({"claims":{"nit":"x"}})"), settings_, TestKey::shared().signer());
  const PeerKey peer = TestKey::shared().peer();
  const Json in{{"jwt", out["jwt"]}};
  now_ = kSeedTime + std::chrono::minutes(9);
  EXPECT_TRUE(scheme_.verify(in, peer)["valid"].get<bool>());
  EXPECT_TRUE(scheme_.verify(Json{{"jwt", out["authorization"]}}, peer)["valid"].get<bool>());
  now_ = kSeedTime + std::chrono::minutes(10) + milliseconds(1);
  const Json stale = scheme_.verify(in, peer);
  EXPECT_FALSE(stale["valid"].get<bool>());
  EXPECT_NE(stale["reason"].get<std::string>().find("10 minutes"), std::string::npos);
  now_ = kSeedTime - std::chrono::minutes(11);
  EXPECT_FALSE(scheme_.verify(in, peer)["valid"].get<bool>());
  now_ = kSeedTime;
  EXPECT_FALSE(scheme_.verify(in, TestKey::other().peer())["valid"].get<bool>());
}

TEST_F(CaratTest, ChangedClaimOrHs256HeaderFails) {
  const Json out =
      scheme_.sign(Json::parse(R"({"claims":{"nit":"x"}})"), settings_, TestKey::shared().signer());
  const std::string jwt = out["jwt"].get<std::string>();
  const auto dot1 = jwt.find('.');
  const auto dot2 = jwt.find('.', dot1 + 1);
  std::string reason;
  const auto parts = jws_parse(jwt, &reason);
  std::string payload(as_chars(parts->payload));
  payload.replace(payload.find("\"x\""), 3, "\"y\"");
  const std::string changed_claim =
      jwt.substr(0, dot1 + 1) + base64url_encode(as_bytes(payload)) + jwt.substr(dot2);
  const std::string hs256 = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9" + jwt.substr(dot1);
  // A PS256 token from the same key is not what Carat sends: refused as well.
  const std::string ps256 = jws_sign_compact(Json{{"alg", "PS256"}, {"typ", "JWT"}}, parts->payload,
                                             TestKey::shared().signer());
  for (const auto& forged : {changed_claim, hs256, ps256}) {
    EXPECT_FALSE(
        scheme_.verify(Json{{"jwt", forged}}, TestKey::shared().peer())["valid"].get<bool>());
  }
}

TEST_F(CaratTest, MissingSettingsAndBadInputsNameTheField) {
  const auto field_of = [&](const char* json, const KeySettings& s) {
    try {
      scheme_.sign(Json::parse(json), s, TestKey::shared().signer());
    } catch (const SchemeError& e) {
      return e.field() + (e.kind() == SchemeErrorKind::kBadRequest ? ":400" : ":422");
    }
    return std::string("no error");
  };
  EXPECT_EQ(field_of(R"({})", settings_), "claims:400");
  EXPECT_EQ(field_of(R"({"claims":[]})", settings_), "claims:400");
  EXPECT_EQ(field_of(R"({"claims":{},"service":"merchant-edit"})", settings_),
            "claims.registered_merchant_id:422");
  EXPECT_EQ(field_of(R"({"claims":{}})", {{"carat.merchant-key-file", key_file_}}),
            "carat.merchant-id:422");
  EXPECT_EQ(field_of(R"({"claims":{}})",
                     {{"carat.merchant-id", "m"}, {"carat.merchant-key-file", "/nonexistent"}}),
            "carat.merchant-key-file:422");
  EXPECT_EQ(field_of(R"({"claims":{"merchant_id":"m","merchant_key":"k"}})", {}), "no error");
  EXPECT_TRUE(scheme_.check_settings(settings_).empty());
  EXPECT_TRUE(scheme_.check_settings({}).empty());  // the claims may carry both
  EXPECT_EQ(
      scheme_
          .check_settings({{"carat.merchant-id", "m"}, {"carat.merchant-key-file", "/nonexistent"}})
          .size(),
      1u);
}

// Seed 003: the timestamp is milliseconds (up to 13 digits). Anything else would be signed into a
// JWT that verify, and Carat, refuse.
TEST_F(CaratTest, SignRefusesATimestampThatIsNotMillisecondsWithOrWithoutService) {
  const auto field_of = [&](const Json& timestamp, const char* service) {
    Json in{{"claims", {{"timestamp", timestamp}}}};
    if (service) in["service"] = service;
    try {
      scheme_.sign(in, settings_, TestKey::shared().signer());
    } catch (const SchemeError& e) {
      return e.field() + (e.kind() == SchemeErrorKind::kBadRequest ? ":400" : ":422");
    }
    return std::string("no error");
  };
  for (const char* service : {static_cast<const char*>(nullptr), "transaction"}) {
    for (const Json& bad : {Json("abc"), Json(nullptr), Json(1.5), Json(-5), Json(""), Json("-1"),
                            Json("+1"), Json(" 1"), Json("99999999999999999999"), Json(true)}) {
      EXPECT_EQ(field_of(bad, service), "claims.timestamp:422") << bad.dump();
    }
    EXPECT_EQ(field_of("1605034925174", service), "no error");
    EXPECT_EQ(field_of(1605034925174, service), "no error");
  }
}

TEST_F(CaratTest, VerifyRefusesAnOutOfRangeTimestampAsNotMilliseconds) {
  for (const Json& ts : {Json("-9223372036854775808"), Json(INT64_MIN), Json(-1)}) {
    const Json claims{{"timestamp", ts}};
    const std::string jwt =
        jws_sign_compact(carat_header(), as_bytes(claims.dump()), TestKey::shared().signer());
    const Json v = scheme_.verify(Json{{"jwt", jwt}}, TestKey::shared().peer());
    EXPECT_FALSE(v["valid"].get<bool>()) << ts;
    EXPECT_NE(v["reason"].get<std::string>().find("not milliseconds"), std::string::npos) << v;
  }
}

// Claims are parsed within the limits of every request body (common/json_bounds.h): at the depth
// limit they verify, one level deeper they are refused without being parsed.
TEST_F(CaratTest, ClaimsAreParsedUpToTheDepthLimitAndNoDeeper) {
  const auto jwt_nesting = [](std::size_t depth) {  // the claims object is the first level
    const std::string nested = std::string(depth - 1, '[') + std::string(depth - 1, ']');
    const std::string claims = R"({"timestamp":1605034925174,"deep":)" + nested + "}";
    return jws_sign_compact(carat_header(), as_bytes(claims), TestKey::shared().signer());
  };
  const Json at =
      scheme_.verify(Json{{"jwt", jwt_nesting(kMaxJsonDepth)}}, TestKey::shared().peer());
  EXPECT_TRUE(at["valid"].get<bool>()) << at;
  const Json past =
      scheme_.verify(Json{{"jwt", jwt_nesting(kMaxJsonDepth + 1)}}, TestKey::shared().peer());
  EXPECT_FALSE(past["valid"].get<bool>());
  EXPECT_NE(past["reason"].get<std::string>().find("deeper than 64 levels"), std::string::npos)
      << past;
}

// RFC 7235 2.1: the auth scheme name is case-insensitive.
TEST_F(CaratTest, VerifyAcceptsTheBearerPrefixInAnyCase) {
  const Json out =
      scheme_.sign(Json::parse(R"({"claims":{"nit":"x"}})"), settings_, TestKey::shared().signer());
  const std::string jwt = out["jwt"].get<std::string>();
  for (const std::string prefix : {"Bearer ", "bearer ", "BEARER "}) {
    const Json v = scheme_.verify(Json{{"jwt", prefix + jwt}}, TestKey::shared().peer());
    EXPECT_TRUE(v["valid"].get<bool>()) << prefix << v;
  }
}

TEST(CaratMerchantKey, TrailingNewlinesAreTrimmedOnly) {
  const std::string path = ::testing::TempDir() + "carat_key_crlf." + std::to_string(::getpid());
  std::ofstream(path) << " key with spaces \r\n\n";
  EXPECT_EQ(carat_read_merchant_key(path), " key with spaces ");
  std::remove(path.c_str());
}

}  // namespace
}  // namespace p11signd::schemes
