// The same awkward values through every scheme's pure canonical-bytes builder: each must carry them
// exactly (or encode them exactly as its provider does), never trim, re-encode or drop them
// unasked.
#include <gtest/gtest.h>

#include "common/digest.h"
#include "common/encoding.h"
#include "schemes/alipay.h"
#include "schemes/amazonpay.h"
#include "schemes/carat.h"
#include "schemes/jws.h"
#include "schemes/mypos.h"
#include "schemes/swifood.h"
#include "schemes/url_encoding.h"
#include "schemes/wechatpay.h"

namespace p11signd::schemes {
namespace {

struct Tricky {
  const char* name;
  std::string value;
  std::string rfc3986;  // how Amazon Pay's canonical query must write it
};

std::vector<Tricky> tricky_values() {
  return {{"dash", "a-b--c-", "a-b--c-"},
          {"empty", "", ""},
          {"plus", "1+1 2", "1%2B1%202"},
          {"percent", "100%25", "100%2525"},
          {"ampersand", "a&b=c", "a%26b%3Dc"},
          {"utf8", "Ünï 中文 €", "%C3%9Cn%C3%AF%20%E4%B8%AD%E6%96%87%20%E2%82%AC"},
          {"long", std::string(20000, 'x') + "-end", std::string(20000, 'x') + "-end"}};
}

std::string decoded_segment(const std::string& jws, int index) {
  std::size_t start = 0;
  for (int i = 0; i < index; ++i) start = jws.find('.', start) + 1;
  const auto end = jws.find('.', start);
  const auto bytes = base64url_decode(jws.substr(start, end - start));
  return bytes ? std::string(as_chars(*bytes)) : "<bad>";
}

TEST(CanonicalEdges, Mypos) {
  for (const auto& t : tricky_values()) {
    const FormPairs f = {{"A", "x"}, {"B", t.value}, {"C", "y"}};
    EXPECT_EQ(mypos_signed_text(f), base64_encode(as_bytes("x-" + t.value + "-y"))) << t.name;
    EXPECT_EQ(*form_decode_pairs(form_encode_pairs(f)), f) << t.name;
  }
}

TEST(CanonicalEdges, Swifood) {
  for (const auto& t : tricky_values()) {
    EXPECT_EQ(swifood_param_text(Json(t.value)), t.value) << t.name;
    const std::string serialised = swifood_param_text(Json{{"v", t.value}});
    EXPECT_EQ(Json::parse(serialised)["v"], t.value) << t.name;
  }
}

TEST(CanonicalEdges, CaratAndJwsPayloads) {
  for (const auto& t : tricky_values()) {
    const Json claims =
        carat_claims(Json{{"order_id", t.value}}, "M", "K",
                     std::chrono::system_clock::time_point(std::chrono::milliseconds(5)));
    EXPECT_EQ(claims.dump(), R"({"merchant_id":"M","merchant_key":"K","order_id":)" +
                                 Json(t.value).dump() + R"(,"timestamp":"5"})")
        << t.name;
    const std::string input = jws_signing_input(carat_header(), as_bytes(claims.dump()));
    EXPECT_EQ(decoded_segment(input, 1), claims.dump()) << t.name;
    EXPECT_EQ(input.find_first_of("+/="), std::string::npos) << t.name;  // base64url, unpadded
  }
}

TEST(CanonicalEdges, AmazonPayQueryAndPayload) {
  for (const auto& t : tricky_values()) {
    EXPECT_EQ(amazonpay_canonical_query({{"k", t.value}}), "k=" + t.rfc3986) << t.name;
    const std::string c = amazonpay_canonical_request("POST", "/", {}, {{"accept", "a"}}, t.value);
    EXPECT_EQ(c.substr(c.rfind('\n') + 1), sha256_hex(as_bytes(t.value))) << t.name;
  }
}

TEST(CanonicalEdges, Alipay) {
  for (const auto& t : tricky_values()) {
    const std::string text = alipay_signed_text({{"z", "1"}, {"m", t.value}, {"a", "0"}}, true);
    // Empty values are dropped; everything else goes in raw, unencoded.
    EXPECT_EQ(text, t.value.empty() ? "a=0&z=1" : "a=0&m=" + t.value + "&z=1") << t.name;
  }
}

TEST(CanonicalEdges, WechatPay) {
  for (const auto& t : tricky_values()) {
    EXPECT_EQ(wechatpay_request_message("POST", "/v3/x?q=" + t.rfc3986, "1", "N", t.value),
              "POST\n/v3/x?q=" + t.rfc3986 + "\n1\nN\n" + t.value + "\n")
        << t.name;
    EXPECT_EQ(wechatpay_callback_message("1", "N", t.value), "1\nN\n" + t.value + "\n") << t.name;
  }
}

}  // namespace
}  // namespace p11signd::schemes
