#include "schemes/amazonpay.h"

#include <gtest/gtest.h>

#include "common/encoding.h"
#include "schemes/peer_key.h"
#include "schemes/testing/test_key.h"
#include "schemes/url_encoding.h"

namespace p11signd::schemes {
namespace {

using testing::read_testdata;
using testing::TestKey;

// 2018-05-24T22:37:10Z, the date in the SDK's test data.
std::chrono::system_clock::time_point kat_time() {
  return std::chrono::system_clock::time_point(std::chrono::seconds(1527201430));
}

const KeySettings kSettings = {{"amazonpay.public-key-id", "AHW3ZZTXN2WL3BMIF7VKBRRX"},
                               {"amazonpay.region", "eu"}};

// Runs one KAT case through the same steps sign() takes.
std::pair<std::string, std::string> canonical_for_case(const Json& c) {
  const auto url = amazonpay_split_url(c["uri"].get<std::string>());
  EXPECT_TRUE(url);
  const auto uri = amazonpay_canonical_uri(url->path);
  EXPECT_TRUE(uri);
  QueryParams query;
  for (const auto& [k, values] : c["parameters"].items()) {
    for (const auto& v : values) query.emplace_back(k, v.get<std::string>());
  }
  const CanonicalHeaders headers = {{"accept", "application/json"},
                                    {"content-type", "application/json"},
                                    {"x-amz-pay-date", "20180524T223710Z"},
                                    {"x-amz-pay-host", "pay-api.amazon.eu"},
                                    {"x-amz-pay-region", "EU"}};
  const std::string canonical = amazonpay_canonical_request(
      c["method"].get<std::string>(), *uri, query, headers, c["payload"].get<std::string>());
  const std::string expected_sts = c["stringToSign"].get<std::string>();
  const std::string alg = expected_sts.substr(0, expected_sts.find('\n'));
  return {canonical, amazonpay_string_to_sign(alg, canonical)};
}

TEST(AmazonPayKat, All34CanonicalRequestsAndStringsToSignMatch) {
  const Json cases = Json::parse(read_testdata("amazonpay/canonical-requests.json"));
  ASSERT_EQ(cases.size(), 34u);
  for (const auto& c : cases) {
    const auto [canonical, sts] = canonical_for_case(c);
    EXPECT_EQ(canonical, c["canonicalRequest"].get<std::string>()) << c["name"];
    EXPECT_EQ(sts, c["stringToSign"].get<std::string>()) << c["name"];
  }
}

// The same 34 cases through the public sign(): the KAT signs x-amz-pay-host: pay-api.amazon.eu in
// every case, including "//foo//", whose "foo" is no host to sign.
TEST(AmazonPayKat, All34ThroughSignGiveTheExpectedCanonicalRequestAndStringToSign) {
  const AmazonPayScheme scheme(kat_time);
  const Json cases = Json::parse(read_testdata("amazonpay/canonical-requests.json"));
  ASSERT_EQ(cases.size(), 34u);
  for (const auto& c : cases) {
    std::string query;
    for (const auto& [k, values] : c["parameters"].items()) {
      for (const auto& v : values) {
        query += (query.empty() ? "?" : "&") + rfc3986_encode(k) + "=" +
                 rfc3986_encode(v.get<std::string>());
      }
    }
    const std::string sts = c["stringToSign"].get<std::string>();
    const Json in{{"method", c["method"]},
                  {"url", c["uri"].get<std::string>() + query},
                  {"body", c["payload"]},
                  {"algorithm", sts.substr(0, sts.find('\n'))}};
    const Json out = scheme.sign(in, kSettings, TestKey::shared().signer());
    EXPECT_EQ(out["canonical_request"], c["canonicalRequest"])
        << c["name"] << " " << in["algorithm"];
    EXPECT_EQ(out["string_to_sign"], c["stringToSign"]) << c["name"] << " " << in["algorithm"];
  }
}

TEST(AmazonPayKat, ChangingAnyInputChangesTheStringToSign) {
  const Json cases = Json::parse(read_testdata("amazonpay/canonical-requests.json"));
  Json c = cases[8];  // post-vanilla-query: foo=bar
  ASSERT_EQ(c["name"], "post-vanilla-query");
  const std::string expected = c["stringToSign"].get<std::string>();
  for (const auto& mutate : std::vector<std::function<void(Json&)>>{
           [](Json& x) { x["method"] = "PUT"; }, [](Json& x) { x["uri"] = "/a"; },
           [](Json& x) { x["parameters"]["foo"][0] = "baz"; },
           [](Json& x) { x["payload"] = "{}"; }}) {
    Json changed = c;
    mutate(changed);
    EXPECT_NE(canonical_for_case(changed).second, expected) << changed.dump();
  }
}

TEST(AmazonPayCanonicalUri, EmptySlashesUtf8DotsAndEscapes) {
  EXPECT_EQ(*amazonpay_canonical_uri(""), "/");
  EXPECT_EQ(*amazonpay_canonical_uri("//"), "/");
  EXPECT_EQ(*amazonpay_canonical_uri("/v2/checkoutSessions/"), "/v2/checkoutSessions/");
  EXPECT_EQ(*amazonpay_canonical_uri("/a//b/./c/../d"), "/a/b/d");
  EXPECT_EQ(*amazonpay_canonical_uri("/a b/\xE1\x88\xB4"), "/a%20b/%E1%88%B4");
  EXPECT_EQ(*amazonpay_canonical_uri("/a%20b/c+d"), "/a%20b/c%2Bd");  // decoded once, encoded once
  EXPECT_FALSE(amazonpay_canonical_uri("/a%2"));
}

TEST(AmazonPaySplitUrl, FullUrlsPathsAndNetworkPathReferences) {
  const auto full = amazonpay_split_url("https://pay-api.amazon.eu/live/v2/x?b=2&a=1+1#frag");
  ASSERT_TRUE(full);
  EXPECT_EQ(full->host, "pay-api.amazon.eu");
  EXPECT_EQ(full->path, "/live/v2/x");
  const QueryParams want = {{"b", "2"}, {"a", "1+1"}};  // '+' is literal in a URL
  EXPECT_EQ(full->query, want);
  EXPECT_EQ(amazonpay_split_url("//foo//")->host, "foo");
  EXPECT_EQ(amazonpay_split_url("https://u:p@pay-api.amazon.eu:443/v2")->host, "pay-api.amazon.eu");
  EXPECT_EQ(amazonpay_split_url("https://[::1]/v2")->host, "[::1]");
  EXPECT_EQ(amazonpay_split_url("//foo//")->path, "//");
  EXPECT_EQ(amazonpay_split_url("/v2/x")->host, "");
  EXPECT_FALSE(amazonpay_split_url("/x?a=%zz"));
}

TEST(AmazonPayCanonicalQuery, SortsByEncodedBytesThenValue) {
  EXPECT_EQ(amazonpay_canonical_query({{"b", "1"}, {"a", "z"}, {"a", "Z"}, {"A", "%"}}),
            "A=%25&a=Z&a=z&b=1");
  EXPECT_EQ(amazonpay_canonical_query({{"k", "a&b=c"}, {"e", ""}}), "e=&k=a%26b%3Dc");
}

TEST(AmazonPayDate, FormatsUtc) { EXPECT_EQ(amazonpay_date(kat_time()), "20180524T223710Z"); }

class AmazonPaySignTest : public ::testing::Test {
 protected:
  AmazonPayScheme scheme_{kat_time};
  Json request_ = Json::parse(R"({"method":"POST",
      "url":"https://pay-api.amazon.eu/live/v2/checkoutSessions?x=1",
      "headers":{"X-Amz-Pay-Idempotency-Key":"idem-1","User-Agent":"shop/1.0"},
      "body":"{\"webCheckoutDetails\":{\"checkoutReviewReturnUrl\":\"https://a.example/r?x=1&y=ü\"}}"})");
};

TEST_F(AmazonPaySignTest, HeadersAuthorizationAndDefaults) {
  const Json out = scheme_.sign(request_, kSettings, TestKey::shared().signer());
  const Json& h = out["headers"];
  EXPECT_EQ(h["x-amz-pay-date"], "20180524T223710Z");
  EXPECT_EQ(h["x-amz-pay-host"], "pay-api.amazon.eu");
  EXPECT_EQ(h["x-amz-pay-region"], "EU");
  EXPECT_EQ(h["accept"], "application/json");
  EXPECT_EQ(h["x-amz-pay-idempotency-key"], "idem-1");
  EXPECT_EQ(h["user-agent"], "shop/1.0");
  const std::string auth = h["authorization"].get<std::string>();
  const std::string prefix =
      "AMZN-PAY-RSASSA-PSS-V2 PublicKeyId=AHW3ZZTXN2WL3BMIF7VKBRRX, "
      "SignedHeaders=accept;content-type;"
      "x-amz-pay-date;x-amz-pay-host;x-amz-pay-idempotency-key;x-amz-pay-region, Signature=";
  ASSERT_EQ(auth.substr(0, prefix.size()), prefix);
  EXPECT_TRUE(base64_decode(auth.substr(prefix.size())));
}

TEST_F(AmazonPaySignTest, SignsTheStringToSignWithPssSalt32ByDefaultAnd20OnRequest) {
  for (const auto& [alg, salt] : {std::pair{kAmazonPayV2, 32u}, std::pair{kAmazonPayV1, 20u}}) {
    Json in = request_;
    in["algorithm"] = alg;
    SignRequest seen;
    std::string seen_data;
    const SigningKey spy{[&](const SignRequest& r, ByteView d) {
                           seen = r;
                           seen_data = std::string(as_chars(d));
                           return TestKey::shared().sign(r, d);
                         },
                         KeyType::kRsa};
    const Json out = scheme_.sign(in, kSettings, spy);
    // The answer shows exactly what was signed, and the canonical request it was hashed from.
    EXPECT_EQ(out["string_to_sign"], seen_data);
    EXPECT_EQ(out["string_to_sign"],
              amazonpay_string_to_sign(alg, out["canonical_request"].get<std::string>()));
    EXPECT_EQ(seen.alg, SignAlg::kRsaPssSha256);
    EXPECT_EQ(seen.salt_len, salt);
    EXPECT_EQ(seen_data.substr(0, alg.size() + 1), std::string(alg) + "\n");
    EXPECT_EQ(seen_data.size(), alg.size() + 1 + 64);
  }
}

TEST_F(AmazonPaySignTest, RoundTripAndEveryChangeFails) {
  for (const auto alg : {kAmazonPayV2, kAmazonPayV1}) {
    Json in = request_;
    in["algorithm"] = alg;
    const Json out = scheme_.sign(in, kSettings, TestKey::shared().signer());
    Json signed_request = in;
    signed_request["headers"] = out["headers"];
    const PeerKey peer = TestKey::shared().peer();
    ASSERT_TRUE(scheme_.verify(signed_request, peer)["valid"].get<bool>()) << alg;
    EXPECT_FALSE(scheme_.verify(signed_request, TestKey::other().peer())["valid"].get<bool>());
    for (const auto& mutate : std::vector<std::function<void(Json&)>>{
             [](Json& x) { x["method"] = "PUT"; },
             [](Json& x) { x["url"] = "https://pay-api.amazon.eu/live/v2/checkoutSessions?x=2"; },
             [](Json& x) { x["body"] = x["body"].get<std::string>() + " "; },
             [](Json& x) { x["headers"]["x-amz-pay-date"] = "20180524T223711Z"; },
             [](Json& x) { x["headers"]["x-amz-pay-idempotency-key"] = "idem-2"; },
             [](Json& x) { x["headers"].erase("x-amz-pay-region"); }}) {
      Json changed = signed_request;
      mutate(changed);
      EXPECT_FALSE(scheme_.verify(changed, peer)["valid"].get<bool>()) << changed.dump();
    }
  }
}

// A signature whose SignedHeaders leaves out the date, host or region says nothing about them: the
// values sent beside it could be anything. sign() always signs all three.
TEST_F(AmazonPaySignTest, VerifyRefusesASignatureThatLeavesOutDateHostOrRegion) {
  const CanonicalHeaders accept_only = {{"accept", "application/json"}};
  const std::string canonical =
      amazonpay_canonical_request("GET", "/v2/checkoutSessions/abc", {}, accept_only, "");
  const std::string to_sign = amazonpay_string_to_sign(kAmazonPayV2, canonical);
  const Bytes sig =
      TestKey::shared().sign(*amazonpay_sign_request(kAmazonPayV2), as_bytes(to_sign));
  Json forged{{"method", "GET"}, {"url", "/v2/checkoutSessions/abc"}};
  forged["headers"] = {{"accept", "application/json"},
                       {"x-amz-pay-date", "20990101T000000Z"},
                       {"x-amz-pay-host", "pay-api.amazon.eu"},
                       {"x-amz-pay-region", "EU"},
                       {"authorization", std::string(kAmazonPayV2) +
                                             " PublicKeyId=X, SignedHeaders=accept, Signature=" +
                                             base64_encode(sig)}};
  const Json result = scheme_.verify(forged, TestKey::shared().peer());
  EXPECT_FALSE(result["valid"].get<bool>());
  EXPECT_NE(result["reason"].get<std::string>().find("x-amz-pay-date"), std::string::npos)
      << result["reason"];
}

// sign() reads "body": null (and an array) as it does; verify must read the request the same way.
TEST_F(AmazonPaySignTest, NullAndArrayBodiesRoundTrip) {
  for (const Json& body : {Json(nullptr), Json::array({1, "a"})}) {
    Json in = request_;
    in["body"] = body;
    const Json out = scheme_.sign(in, kSettings, TestKey::shared().signer());
    in["headers"] = out["headers"];
    Json result;
    ASSERT_NO_THROW(result = scheme_.verify(in, TestKey::shared().peer())) << body;
    EXPECT_TRUE(result["valid"].get<bool>()) << body << result;
  }
}

TEST_F(AmazonPaySignTest, PathOnlyUrlTakesTheHostFromTheRegion) {
  Json in = request_;
  in["url"] = "/live/v2/checkoutSessions";
  KeySettings s = kSettings;
  s["amazonpay.region"] = "us";
  const Json out = scheme_.sign(in, s, TestKey::shared().signer());
  EXPECT_EQ(out["headers"]["x-amz-pay-host"], "pay-api.amazon.com");
  EXPECT_EQ(out["headers"]["x-amz-pay-region"], "NA");
}

TEST_F(AmazonPaySignTest, ObjectBodyIsSerialisedOnceAndReturned) {
  Json in = request_;
  in["body"] = Json::parse(R"({"b":1,"a":"x"})");
  const Json out = scheme_.sign(in, kSettings, TestKey::shared().signer());
  EXPECT_EQ(out["body"], R"({"b":1,"a":"x"})");
}

TEST_F(AmazonPaySignTest, ErrorsNameTheField) {
  const auto field_of = [&](Json in, const KeySettings& s) {
    try {
      scheme_.sign(in, s, TestKey::shared().signer());
    } catch (const SchemeError& e) {
      return e.field() + (e.kind() == SchemeErrorKind::kBadRequest ? ":400" : ":422");
    }
    return std::string("no error");
  };
  Json no_method = request_;
  no_method.erase("method");
  EXPECT_EQ(field_of(no_method, kSettings), "method:400");
  Json bad_header = request_;
  bad_header["headers"]["accept"] = 5;
  EXPECT_EQ(field_of(bad_header, kSettings), "headers.accept:400");
  Json bad_alg = request_;
  bad_alg["algorithm"] = "RSA";
  EXPECT_EQ(field_of(bad_alg, kSettings), "algorithm:422");
  EXPECT_EQ(field_of(request_, {{"amazonpay.region", "eu"}}), "amazonpay.public-key-id:422");
  EXPECT_EQ(field_of(request_, {{"amazonpay.public-key-id", "x"}, {"amazonpay.region", "mars"}}),
            "amazonpay.region:422");
}

// Header names and values come back as headers the application sends: CR/LF would forge a header
// line there, and a line of the canonical request here.
TEST_F(AmazonPaySignTest, RefusesWhatWouldSplitAHeaderLine) {
  const auto field_of = [&](Json in) {
    try {
      scheme_.sign(in, kSettings, TestKey::shared().signer());
    } catch (const SchemeError& e) {
      return e.field() + ": " + e.what();
    }
    return std::string("no error");
  };
  Json in = request_;
  in["headers"]["x-amz-pay-idempotency-key"] = "idem\r\nx-amz-pay-region: NA";
  EXPECT_NE(field_of(in).find("headers.x-amz-pay-idempotency-key: "), std::string::npos);
  EXPECT_NE(field_of(in).find("CR, LF"), std::string::npos) << field_of(in);
  in = request_;
  in["headers"]["User-Agent"] = std::string("a\0b", 3);
  EXPECT_EQ(field_of(in).substr(0, 19), "headers.User-Agent:");
  in = request_;
  in["headers"]["x-amz-pay-a\r\nb"] = "v";
  EXPECT_NE(field_of(in).find("not a valid HTTP header name"), std::string::npos);
  in = request_;
  in["method"] = "POST /x HTTP/1.1\r\n";
  EXPECT_EQ(field_of(in).substr(0, 7), "method:");
  in = request_;
  in["url"] = "https://pay-api.amazon.eu/live/v2/x\r\nHost: evil";
  EXPECT_EQ(field_of(in).substr(0, 4), "url:");
  in = request_;
  in["headers"]["User-Agent"] = "shop/1.0\t(tab allowed)";
  EXPECT_EQ(field_of(in), "no error");
}

TEST(AmazonPaySettings, CheckedForCheckConfig) {
  const AmazonPayScheme scheme(kat_time);
  EXPECT_TRUE(scheme.check_settings(kSettings).empty());
  EXPECT_EQ(scheme.check_settings({}).size(), 2u);
  KeySettings bad = kSettings;
  bad["amazonpay.algorithm"] = "RSA";
  EXPECT_EQ(scheme.check_settings(bad).size(), 1u);
}

TEST(AmazonPayButton, SignatureOverAlgorithmAndPayloadHash) {
  const AmazonPayScheme scheme(kat_time);
  const std::string payload =
      R"({"webCheckoutDetails":{"checkoutReviewReturnUrl":"https://a.example/r"},"storeId":"amzn1.application-oa2-client.x"})";
  ASSERT_EQ(scheme.actions(), std::vector<std::string>{"button-signature"});
  SignRequest seen;
  std::string seen_data;
  const SigningKey spy{[&](const SignRequest& r, ByteView d) {
                         seen = r;
                         seen_data = std::string(as_chars(d));
                         return TestKey::shared().sign(r, d);
                       },
                       KeyType::kRsa};
  const Json out =
      scheme.run_action("button-signature", Json{{"payload", payload}}, kSettings, spy);
  EXPECT_EQ(seen_data, amazonpay_string_to_sign(kAmazonPayV2, payload));
  EXPECT_EQ(seen.salt_len, 32u);
  const PeerKey peer = TestKey::shared().peer();
  EXPECT_TRUE(
      scheme.verify(Json{{"payload", payload}, {"signature", out["signature"]}}, peer)["valid"]
          .get<bool>());
  EXPECT_FALSE(
      scheme
          .verify(Json{{"payload", payload + " "}, {"signature", out["signature"]}}, peer)["valid"]
          .get<bool>());
  EXPECT_THROW(scheme.run_action("nope", Json::object(), kSettings, spy), SchemeError);
}

}  // namespace
}  // namespace p11signd::schemes
