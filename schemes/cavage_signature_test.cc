#include "schemes/cavage_signature.h"

#include <gtest/gtest.h>

#include "common/encoding.h"
#include "schemes/peer_key.h"
#include "schemes/testing/test_key.h"

namespace p11signd::schemes {
namespace {

using testing::read_testdata;
using testing::TestKey;

constexpr SignRequest kRsaSha256{SignAlg::kRsaPkcs1Sha256, 0};

// The request of draft-cavage-12 Appendix C.
std::vector<HeaderField> appendix_headers() {
  return {{"Host", "host", "example.com"},
          {"Date", "date", "Sun, 05 Jan 2014 21:31:40 GMT"},
          {"Content-Type", "content-type", "application/json"},
          {"Digest", "digest", "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="},
          {"Content-Length", "content-length", "18"}};
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

struct AppendixCase {
  const char* name;
  std::vector<std::string> headers;
};

class AppendixC : public ::testing::TestWithParam<AppendixCase> {};

// Each test of Appendix C: the signing string byte for byte, and the appendix's signature
// reproduced exactly by signing it with the appendix's key (PKCS#1 v1.5 is deterministic).
TEST_P(AppendixC, SigningStringAndSignatureByteForByte) {
  const auto& c = GetParam();
  const auto headers = appendix_headers();
  std::string why;
  const auto text =
      cavage_signing_string(c.headers, {"POST", "/foo?param=value&pet=dog", &headers}, &why);
  ASSERT_TRUE(text) << why;
  EXPECT_EQ(*text, read_testdata(std::string("cavage/") + c.name + ".txt"));
  const TestKey key = TestKey::from_pem(read_testdata("cavage/draft12-test-private.pem"));
  EXPECT_EQ(base64_encode(key.sign(kRsaSha256, as_bytes(*text))),
            trimmed(read_testdata(std::string("cavage/") + c.name + ".sig")));
}

INSTANTIATE_TEST_SUITE_P(
    Draft12, AppendixC,
    ::testing::Values(AppendixCase{"c1-default", {"date"}},
                      AppendixCase{"c2-basic", {"(request-target)", "host", "date"}},
                      AppendixCase{"c3-all-headers",
                                   {"(request-target)", "host", "date", "content-type", "digest",
                                    "content-length"}}),
    [](const ::testing::TestParamInfo<AppendixCase>& param_info) {
      std::string n = param_info.param.name;
      for (char& ch : n) ch = ch == '-' ? '_' : ch;
      return n;
    });

TEST(CavageParse, AppendixAuthorizationHeaderParsesAndVerifies) {
  std::string why;
  const auto p = parse_cavage_signature(
      "Signature keyId=\"Test\",algorithm=\"rsa-sha256\",\n headers=\"(request-target) host "
      "date\",\n signature=\"" +
          trimmed(read_testdata("cavage/c2-basic.sig")) + "\"",
      &why);
  // A folded header is not one line: the parser takes what follows OWS only.
  EXPECT_FALSE(p);
  const auto q = parse_cavage_signature(
      "Signature keyId=\"Test\", algorithm=\"rsa-sha256\", headers=\"(request-target) host date\", "
      "signature=\"" +
          trimmed(read_testdata("cavage/c2-basic.sig")) + "\"",
      &why);
  ASSERT_TRUE(q) << why;
  EXPECT_EQ(q->key_id, "Test");
  EXPECT_EQ(q->algorithm, "rsa-sha256");
  EXPECT_EQ(q->headers, (std::vector<std::string>{"(request-target)", "host", "date"}));
  const PeerKey peer = PeerKey::from_text(read_testdata("cavage/draft12-test-public.pem"));
  EXPECT_TRUE(peer.verify(kRsaSha256, as_bytes(read_testdata("cavage/c2-basic.txt")),
                          *base64_decode(q->signature)));
}

TEST(CavageParse, DefaultHeadersIsDateAndUnknownParametersAreIgnored) {
  std::string why;
  const auto p =
      parse_cavage_signature(R"(keyId="k",nonce="x",signature="c2ln",created=1402170695)", &why);
  ASSERT_TRUE(p) << why;
  EXPECT_EQ(p->headers, std::vector<std::string>{"date"});
  EXPECT_FALSE(p->headers_given);
  EXPECT_EQ(p->created, "1402170695");
}

TEST(CavageParse, QuotedStringEscapes) {
  std::string why;
  const auto p = parse_cavage_signature(R"(keyId="SN=1,CA=CN=\"Q\" CA",signature="eA==")", &why);
  ASSERT_TRUE(p) << why;
  EXPECT_EQ(p->key_id, R"(SN=1,CA=CN="Q" CA)");
}

TEST(CavageParse, MalformedHeadersAreRefusedWithAReason) {
  for (const auto* text : {
           R"(keyId="a",keyId="b",signature="x")",
           R"(keyId="a",signature="x",signature="y")",
           R"(keyId="a",headers="date",headers="date",signature="x")",
           R"(keyId="a",algorithm="x",algorithm="y",signature="x")",
           R"(keyId="a")",
           R"(signature="x")",
           R"(keyId="a,signature="x")",
           R"(keyId="a" signature="x")",
           R"(keyId=,signature="x")",
           R"(="a",signature="x")",
           R"(keyId "a",signature="x")",
           R"(keyId="a",signature="x",)"
           "\\",
           "",
       }) {
    std::string why;
    EXPECT_FALSE(parse_cavage_signature(text, &why)) << text;
    EXPECT_FALSE(why.empty()) << text;
  }
}

TEST(CavageFormat, RoundTripsThroughTheParser) {
  const std::string text =
      format_cavage_signature("SN=9FA1,CA=CN=X,C=DE", "rsa-sha256", {"digest", "date"}, "c2ln");
  EXPECT_EQ(text, R"(keyId="SN=9FA1,CA=CN=X,C=DE",algorithm="rsa-sha256",headers="digest date",)"
                  R"(signature="c2ln")");
  std::string why;
  const auto p = parse_cavage_signature(text, &why);
  ASSERT_TRUE(p) << why;
  EXPECT_EQ(p->key_id, "SN=9FA1,CA=CN=X,C=DE");
  EXPECT_EQ(p->headers, (std::vector<std::string>{"digest", "date"}));
}

TEST(CavageSigningString, TrimsValuesAndRefusesWhatItCannotSign) {
  const std::vector<HeaderField> headers = {{"X-A", "x-a", "  padded\t"}};
  std::string why;
  EXPECT_EQ(cavage_signing_string({"x-a"}, {"GET", "/", &headers}, &why), "x-a: padded");
  EXPECT_FALSE(cavage_signing_string({"x-b"}, {"GET", "/", &headers}, &why));
  EXPECT_NE(why.find("x-b"), std::string::npos);
  EXPECT_FALSE(cavage_signing_string({"(created)"}, {"GET", "/", &headers}, &why));
  EXPECT_NE(why.find("rsa-sha256"), std::string::npos);
}

TEST(CavageDigest, Sha256And512OfTheAppendixBody) {
  const std::string body = read_testdata("cavage/body.json");
  EXPECT_EQ(digest_header(DigestAlg::kSha256, as_bytes(body)),
            "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=");
  // RFC 5843 section 2's text is about SHA-512 in general; this value is `openssl dgst -sha512`.
  EXPECT_EQ(digest_header(DigestAlg::kSha512, as_bytes(std::string())),
            "SHA-512=z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/"
            "SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==");
  std::string why;
  EXPECT_TRUE(
      digest_matches("sha-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=", as_bytes(body), &why));
  EXPECT_TRUE(digest_matches(
      "MD5=xx, SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=", as_bytes(body), &why));
  EXPECT_FALSE(digest_matches(
      "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=", as_bytes(body + " "), &why));
  EXPECT_FALSE(digest_matches("MD5=xx", as_bytes(body), &why));
  EXPECT_NE(why.find("no SHA-256"), std::string::npos);
}

}  // namespace
}  // namespace p11signd::schemes
