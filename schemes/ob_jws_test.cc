#include "schemes/ob_jws.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/encoding.h"
#include "schemes/jws.h"
#include "schemes/peer_key.h"
#include "schemes/testing/test_key.h"

namespace p11signd::schemes {
namespace {

using testing::TestKey;

constexpr std::int64_t kNow = 1700000000;
const Clock kClock = [] {
  return std::chrono::system_clock::time_point(std::chrono::seconds(kNow));
};
const KeySettings kSettings = {{"ob-jws.kid", "90210ABAD"},
                               {"ob-jws.iss", "0015800001041REAAY/2kiXQyo0tedjW2somjSgH7"}};
const std::string kBody = R"({"Data":{"Initiation":{"InstructionIdentification":"ACME412"}}})";

std::string decoded(const std::string& b64url) {
  const auto b = base64url_decode(b64url);
  return b ? std::string(as_chars(*b)) : "<bad>";
}

// A detached JWS over body with any header, signed PS256 by the shared test key: for headers the
// scheme itself would never write.
std::string detached(const Json& header, std::string_view body) {
  const std::string header_b64 = base64url_encode(as_bytes(header.dump()));
  const std::string input = ob_jws_signing_input(header_b64, header, as_bytes(body));
  return header_b64 + ".." +
         base64url_encode(TestKey::shared().sign(*jws_sign_request("PS256"), as_bytes(input)));
}

Json verify(const std::string& jws, const std::string& body, Json extra = Json::object()) {
  extra["x-jws-signature"] = jws;
  extra["body"] = body;
  return ObJwsScheme(kClock).verify(extra, TestKey::shared().peer());
}

Bytes hmac_sha256(ByteView key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return Bytes(out, out + len);
}

// RFC 7797 section 4: the example's signing inputs, byte for byte; its HS256 signatures (the only
// algorithm it gives) are reproduced from them to show that nothing else went in.
TEST(ObJwsSigningInput, Rfc7797Section4Example) {
  const Json v = Json::parse(testing::read_testdata("rfc7797/section4.json"));
  const Bytes key = *base64url_decode(v["hmac_key_b64url"].get<std::string>());
  const std::string payload = v["payload"];
  for (const char* variant : {"encoded", "unencoded"}) {
    const Json header = Json::parse(v[variant]["header"].get<std::string>());
    const std::string header_b64 = base64url_encode(as_bytes(header.dump()));
    const std::string input = ob_jws_signing_input(header_b64, header, as_bytes(payload));
    const std::string expected =
        v[variant].contains("jws") ? v[variant]["jws"] : v[variant]["detached_jws"];
    if (v[variant].contains("signing_input")) {
      EXPECT_EQ(input, v[variant]["signing_input"]);
    }
    const std::string sig = base64url_encode(hmac_sha256(key, input));
    const std::string middle =
        v[variant].contains("jws") ? base64url_encode(as_bytes(payload)) : "";
    EXPECT_EQ(header_b64 + "." + middle + "." + sig, expected) << variant;
  }
}

TEST(ObJwsHeader, BothVariantsInTheProfileOrder) {
  const ObJwsClaims c{"90210ABAD", "C=UK, O=Acme", "openbanking.org.uk", 1501497671};
  EXPECT_EQ(
      ob_jws_header(ObJwsVariant::kUnencoded, c).dump(),
      R"({"alg":"PS256","kid":"90210ABAD","b64":false,)"
      R"("http://openbanking.org.uk/iat":1501497671,"http://openbanking.org.uk/iss":"C=UK, O=Acme",)"
      R"("http://openbanking.org.uk/tan":"openbanking.org.uk","typ":"JOSE","cty":"application/json",)"
      R"("crit":["b64","http://openbanking.org.uk/iat","http://openbanking.org.uk/iss",)"
      R"("http://openbanking.org.uk/tan"]})");
  EXPECT_EQ(
      ob_jws_header(ObJwsVariant::kEncoded, c).dump(),
      R"({"alg":"PS256","kid":"90210ABAD",)"
      R"("http://openbanking.org.uk/iat":1501497671,"http://openbanking.org.uk/iss":"C=UK, O=Acme",)"
      R"("http://openbanking.org.uk/tan":"openbanking.org.uk","typ":"JOSE","cty":"application/json",)"
      R"("crit":["http://openbanking.org.uk/iat","http://openbanking.org.uk/iss",)"
      R"("http://openbanking.org.uk/tan"]})");
}

// The signature covers the body itself (v3.1.3) or its base64url (v3.1.4), checked here with the
// public key directly, not through the scheme's verify.
TEST(ObJwsSign, EachVariantSignsWhatItsProfileSays) {
  for (const char* variant : {"v3.1.3", "v3.1.4"}) {
    KeySettings settings = kSettings;
    settings["ob-jws.variant"] = variant;
    const Json out =
        ObJwsScheme(kClock).sign(Json{{"body", kBody}}, settings, TestKey::shared().signer());
    const std::string jws = out["x-jws-signature"];
    const auto dots = jws.find("..");
    ASSERT_NE(dots, std::string::npos) << jws;
    const std::string header_b64 = jws.substr(0, dots);
    const Json header = Json::parse(decoded(header_b64));
    EXPECT_EQ(header, out["header"]);
    EXPECT_EQ(header["kid"], "90210ABAD");
    EXPECT_EQ(header["http://openbanking.org.uk/iat"], kNow);
    EXPECT_EQ(header["http://openbanking.org.uk/tan"], "openbanking.org.uk");
    const bool unencoded = std::string(variant) == "v3.1.3";
    EXPECT_EQ(header.contains("b64"), unencoded);
    const std::string input =
        header_b64 + "." + (unencoded ? kBody : base64url_encode(as_bytes(kBody)));
    const Bytes sig = *base64url_decode(jws.substr(dots + 2));
    EXPECT_TRUE(TestKey::shared().peer().verify(*jws_sign_request("PS256"), as_bytes(input), sig))
        << variant;
    const Json ok = verify(jws, kBody);
    EXPECT_EQ(ok["valid"], true) << ok;
    EXPECT_EQ(ok["variant"], variant);
    EXPECT_EQ(verify(jws, kBody + " ")["valid"], false);
    EXPECT_EQ(ObJwsScheme(kClock).verify(Json{{"x-jws-signature", jws}, {"body", kBody}},
                                         TestKey::other().peer())["valid"],
              false);
  }
}

TEST(ObJwsSign, TanDefaultsAndBodyMayBeBytes) {
  KeySettings settings = kSettings;
  settings["ob-jws.tan"] = "openbanking.org.uk:test";
  const Json out =
      ObJwsScheme(kClock).sign(Json{{"body_b64", base64url_encode(as_bytes("\xff\x00"))}}, settings,
                               TestKey::shared().signer());
  EXPECT_EQ(out["header"]["http://openbanking.org.uk/tan"], "openbanking.org.uk:test");
  const Json v =
      ObJwsScheme(kClock).verify(Json{{"x-jws-signature", out["x-jws-signature"]},
                                      {"body_b64", base64url_encode(as_bytes("\xff\x00"))}},
                                 TestKey::shared().peer());
  EXPECT_EQ(v["valid"], true) << v;
}

TEST(ObJwsSign, MissingOrWrongSettingsNameTheSetting) {
  const ObJwsScheme scheme(kClock);
  const auto field_of = [&](const KeySettings& s, const Json& in) {
    try {
      scheme.sign(in, s, TestKey::shared().signer());
    } catch (const SchemeError& e) {
      return e.field();
    }
    return std::string("<signed>");
  };
  EXPECT_EQ(field_of({{"ob-jws.iss", "x"}}, Json{{"body", "{}"}}), "ob-jws.kid");
  EXPECT_EQ(field_of({{"ob-jws.kid", "x"}}, Json{{"body", "{}"}}), "ob-jws.iss");
  KeySettings bad = kSettings;
  bad["ob-jws.variant"] = "3.1.3";
  EXPECT_EQ(field_of(bad, Json{{"body", "{}"}}), "ob-jws.variant");
  EXPECT_EQ(field_of(kSettings, Json::object()), "body");
  EXPECT_EQ(field_of(kSettings, Json{{"body", "{}"}, {"body_b64", "e30"}}), "body");
  EXPECT_EQ(scheme.check_settings(bad),
            std::vector<std::string>{
                "ob-jws.variant: '3.1.3' is not a variant; use v3.1.3 (b64:false) or v3.1.4"});
  EXPECT_EQ(scheme.check_settings({}).size(), 2u);
  EXPECT_TRUE(scheme.check_settings(kSettings).empty());
}

Json good_header(bool unencoded) {
  return ob_jws_header(unencoded ? ObJwsVariant::kUnencoded : ObJwsVariant::kEncoded,
                       ObJwsClaims{"k", "iss-1", "openbanking.org.uk", kNow});
}

// RFC 7515 4.1.11 and RFC 7797 6: every crit name must be understood and present, and b64 must be
// in crit; the profile adds that its three claims are there and named. Each header below is
// properly signed: only the rules refuse it.
TEST(ObJwsVerify, CritIsHonoured) {
  std::vector<std::pair<Json, std::string>> cases;
  Json h = good_header(true);
  h["crit"].push_back("urn:example:must-understand");
  h["urn:example:must-understand"] = 1;
  cases.emplace_back(
      h, "crit names an extension this verifier does not support: urn:example:must-understand");
  h = good_header(true);
  h["crit"] = Json::array({"http://openbanking.org.uk/iat", "http://openbanking.org.uk/iss",
                           "http://openbanking.org.uk/tan"});
  cases.emplace_back(h, "header b64 is not named in crit");
  h = good_header(false);
  h["crit"].erase(2);
  cases.emplace_back(h, "header http://openbanking.org.uk/tan is not named in crit");
  h = good_header(false);
  h.erase(std::string(kObIss));
  cases.emplace_back(h, "crit names http://openbanking.org.uk/iss but the header lacks it");
  h = good_header(false);
  h["crit"].push_back("b64");
  cases.emplace_back(h, "crit names b64 but the header lacks it");
  h = good_header(false);
  h["crit"].push_back("http://openbanking.org.uk/iat");
  cases.emplace_back(h, "crit names http://openbanking.org.uk/iat twice");
  h = good_header(false);
  h.erase("crit");
  cases.emplace_back(h, "header has no crit (the profile requires it)");
  h = good_header(false);
  h["crit"] = Json::array();
  cases.emplace_back(h, "crit must be a non-empty array of names");
  h = good_header(false);
  h["alg"] = "RS256";
  cases.emplace_back(h, "header alg must be PS256");
  h = good_header(false);
  h[std::string(kObIat)] = "1700000000";
  cases.emplace_back(
      h, "header http://openbanking.org.uk/iat must be a whole number of seconds since the epoch");
  h = good_header(true);
  h["b64"] = "false";
  cases.emplace_back(h, "header b64 must be true or false");
  for (const auto& [header, reason] : cases) {
    const Json v = verify(detached(header, kBody), kBody);
    EXPECT_EQ(v["valid"], false) << header.dump();
    EXPECT_EQ(v["reason"], reason) << header.dump();
  }
  // The same construction with a sound header passes, so the refusals above are the rules'.
  EXPECT_EQ(verify(detached(good_header(true), kBody), kBody)["valid"], true);
  EXPECT_EQ(verify(detached(good_header(false), kBody), kBody)["valid"], true);
}

TEST(ObJwsVerify, IatFreshnessIsConfigurable) {
  Json old = good_header(false);
  old[std::string(kObIat)] = kNow - 301;
  EXPECT_EQ(verify(detached(old, kBody), kBody)["reason"], "iat is older than 300 seconds");
  EXPECT_EQ(verify(detached(old, kBody), kBody, Json{{"max_age", 600}})["valid"], true);
  EXPECT_EQ(verify(detached(old, kBody), kBody, Json{{"max_age", 60}})["reason"],
            "iat is older than 60 seconds");
  Json ahead = good_header(false);
  ahead[std::string(kObIat)] = kNow + 61;
  EXPECT_EQ(verify(detached(ahead, kBody), kBody)["reason"], "iat is more than 60 seconds ahead");
  EXPECT_THROW(verify(detached(old, kBody), kBody, Json{{"max_age", -1}}), SchemeError);
}

TEST(ObJwsVerify, IssuerCanBePinned) {
  const std::string jws = detached(good_header(false), kBody);
  EXPECT_EQ(verify(jws, kBody, Json{{"iss", "iss-1"}})["valid"], true);
  EXPECT_EQ(verify(jws, kBody, Json{{"iss", "iss-2"}})["reason"],
            "header http://openbanking.org.uk/iss is not iss-2");
}

TEST(ObJwsVerify, OnlyTheDetachedShapeParses) {
  const std::string jws = detached(good_header(false), kBody);
  const std::string header_b64 = jws.substr(0, jws.find('.'));
  const std::string sig = jws.substr(jws.find("..") + 2);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {header_b64 + "." + base64url_encode(as_bytes(kBody)) + "." + sig,
       "the payload part is not empty (a detached JWS leaves it out)"},
      {header_b64 + "." + sig, "not a detached JWS (header..signature)"},
      {header_b64 + "..." + sig, "not a detached JWS (header..signature)"},
      {".." + sig, "a part is empty or not unpadded base64url"},
      {header_b64 + ".." + sig + "=", "a part is empty or not unpadded base64url"},
      {base64url_encode(as_bytes("[1]")) + ".." + sig, "the header is not a JSON object"},
      {base64url_encode(as_bytes("{")) + ".." + sig, "the header "},
  };
  for (const auto& [text, reason] : cases) {
    std::string why;
    EXPECT_FALSE(parse_detached_jws(text, &why)) << text;
    EXPECT_EQ(why.substr(0, reason.size()), reason) << text;
  }
  std::string why;
  ASSERT_TRUE(parse_detached_jws(jws, &why)) << why;
}

}  // namespace
}  // namespace p11signd::schemes
