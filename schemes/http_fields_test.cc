#include "schemes/http_fields.h"

#include <gtest/gtest.h>

namespace p11signd::schemes {
namespace {

TEST(HttpFields, HeadersAreCaseInsensitiveAndArraysJoin) {
  const auto h = read_header_fields(Json::parse(R"({"X-A":"1","Accept":["a","b"]})"), "headers");
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(find_header(h, "x-a")->value, "1");
  EXPECT_EQ(find_header(h, "accept")->value, "a, b");
  EXPECT_EQ(find_header(h, "accept")->name, "Accept");
  EXPECT_EQ(find_header(h, "x-b"), nullptr);
}

TEST(HttpFields, BadHeadersAreRefusedNamingTheField) {
  for (const auto* text : {R"({"X-A":"1","x-a":"2"})", R"({"X A":"1"})", R"({"X-A":"1\r\nY: 2"})",
                           R"({"X-A":5})", R"({"X-A":[]})", R"({"X-A":[1]})", R"([])"}) {
    try {
      read_header_fields(Json::parse(text), "headers");
      ADD_FAILURE() << text;
    } catch (const SchemeError& e) {
      EXPECT_EQ(e.field().rfind("headers", 0), 0u) << text;
    }
  }
}

TEST(HttpFields, BodyFromTextOrBase64) {
  EXPECT_EQ(read_body(Json::parse(R"({"body":"ab"})")), (Bytes{'a', 'b'}));
  EXPECT_EQ(read_body(Json::parse(R"({"body_base64":"AP8="})")), (Bytes{0x00, 0xff}));
  EXPECT_TRUE(read_body(Json::object()).empty());
  EXPECT_THROW(read_body(Json::parse(R"({"body":"a","body_base64":"YQ=="})")), SchemeError);
  EXPECT_THROW(read_body(Json::parse(R"({"body_base64":"!"})")), SchemeError);
}

TEST(HttpFields, RequestTargetOfAUrl) {
  EXPECT_EQ(url_request_target("https://h.example/a/b?x=1#frag"), "/a/b?x=1");
  EXPECT_EQ(url_request_target("https://h.example"), "/");
  EXPECT_EQ(url_request_target("https://h.example?x=1"), "/?x=1");
  EXPECT_EQ(url_request_target("/v3/alipay/trade/query?a=b"), "/v3/alipay/trade/query?a=b");
  EXPECT_EQ(url_request_target(""), "/");
}

TEST(HttpFields, HttpDateIsImfFixdate) {
  EXPECT_EQ(http_date(std::chrono::system_clock::from_time_t(784111777)),
            "Sun, 06 Nov 1994 08:49:37 GMT");  // RFC 9110 5.6.7's example
}

TEST(HttpFields, UuidsAreVersion4) {
  const std::string a = random_uuid();
  ASSERT_EQ(a.size(), 36u);
  EXPECT_EQ(a[8], '-');
  EXPECT_EQ(a[14], '4');
  EXPECT_NE(std::string("89ab").find(a[19]), std::string::npos);
  EXPECT_NE(a, random_uuid());
}

}  // namespace
}  // namespace p11signd::schemes
