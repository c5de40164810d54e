#include "schemes/alipay.h"

#include <gtest/gtest.h>

#include "common/encoding.h"
#include "schemes/peer_key.h"
#include "schemes/testing/test_key.h"

namespace p11signd::schemes {
namespace {

using testing::TestKey;

TEST(AlipaySignedText, SortedUnencodedBlanksAndSignDropped) {
  // Alipay's own documentation example of the string to sign.
  const FormPairs params = {
      {"method", "alipay.mobile.public.menu.add"},
      {"charset", "GBK"},
      {"sign_type", "RSA2"},
      {"timestamp", "2014-07-24 03:07:50"},
      {"biz_content",
       R"({"button":[{"actionParam":"ZFB_HFCZ","actionType":"out","name":"话费充值"}]})"},
      {"sign", "ignored"},
      {"app_id", "2014072300007148"},
      {"version", "1.0"},
      {"empty", ""},
      {"blank", "  "}};
  EXPECT_EQ(
      alipay_signed_text(params, true),
      R"(app_id=2014072300007148&biz_content={"button":[{"actionParam":"ZFB_HFCZ","actionType":"out","name":"话费充值"}]})"
      "&charset=GBK&method=alipay.mobile.public.menu.add&sign_type=RSA2&timestamp=2014-07-24 "
      "03:07:50&version=1.0");
  EXPECT_EQ(alipay_signed_text(params, false).find("sign_type"), std::string::npos);
}

TEST(AlipaySignedText, ValuesAreNotEncodedAndSortIsByBytes) {
  EXPECT_EQ(alipay_signed_text({{"b", "x+y%z&w=v"}, {"B", "-"}, {"a_b", "ü"}, {"a", "1"}}, true),
            "B=-&a=1&a_b=ü&b=x+y%z&w=v");
}

TEST(AlipayReadParams, ObjectsSerialisedOnceNumbersAsText) {
  const FormPairs p =
      alipay_read_params(Json::parse(R"({"biz_content":{"b":1,"a":"x"},"n":5,"t":true})"));
  const FormPairs want = {{"biz_content", R"({"b":1,"a":"x"})"}, {"n", "5"}, {"t", "true"}};
  EXPECT_EQ(p, want);
}

TEST(AlipaySign, FillsAppIdAndSignTypeAndRoundTrips) {
  const AlipayScheme scheme;
  const Json in = Json::parse(R"({"params":{"method":"alipay.trade.page.pay","charset":"utf-8",
      "timestamp":"2024-01-02 03:04:05","version":"1.0","biz_content":{"out_trade_no":"A-1","total_amount":"9.99","subject":"Über & co"}}})");
  SignRequest seen{SignAlg::kRsaPssSha256, 1};
  const SigningKey spy{[&](const SignRequest& r, ByteView d) {
                         seen = r;
                         return TestKey::shared().sign(r, d);
                       },
                       KeyType::kRsa};
  const Json out = scheme.sign(in, {{"alipay.app-id", "2021000000000001"}}, spy);
  EXPECT_EQ(seen.alg, SignAlg::kRsaPkcs1Sha256);
  EXPECT_EQ(out["params"]["app_id"], "2021000000000001");
  EXPECT_EQ(out["params"]["sign_type"], "RSA2");
  EXPECT_EQ(out["params"]["sign"], out["sign"]);
  // The bytes signed are UTF-8: a request that does not say its charset says so once signed.
  Json without = in;
  without["params"].erase("charset");
  const Json filled = scheme.sign(without, {{"alipay.app-id", "2021000000000001"}}, spy);
  EXPECT_EQ(filled["params"]["charset"], "utf-8");
  EXPECT_NE(filled["form"].get<std::string>().find("charset=utf-8"), std::string::npos);
  const PeerKey peer = TestKey::shared().peer();
  // The request's signature covers sign_type; notification checking leaves it out, so only the
  // request mode verifies it.
  EXPECT_FALSE(scheme.verify(Json{{"form", out["form"]}}, peer)["valid"].get<bool>());
  const Json v = scheme.verify(Json{{"form", out["form"]}, {"include_sign_type", true}}, peer);
  EXPECT_TRUE(v["valid"].get<bool>()) << v.dump();
  Json changed = out["params"];
  changed["charset"] = "GBK";
  EXPECT_FALSE(scheme.verify(Json{{"params", changed}, {"include_sign_type", true}}, peer)["valid"]
                   .get<bool>());
}

TEST(AlipayVerify, NotificationRoundTripAndChangedFieldFails) {
  const AlipayScheme scheme;
  const FormPairs notify = {{"notify_id", "ac05099524730693a8b330c5ecf72da9786"},
                            {"trade_status", "TRADE_SUCCESS"},
                            {"total_amount", "2.00"},
                            {"subject", "测试 + 100%"},
                            {"sign_type", "RSA2"}};
  const std::string text = alipay_signed_text(notify, false);
  FormPairs posted = notify;
  posted.emplace_back(
      "sign", base64_encode(TestKey::shared().sign({SignAlg::kRsaPkcs1Sha256, 0}, as_bytes(text))));
  const PeerKey peer = TestKey::shared().peer();
  const std::string form = form_encode_pairs(posted);
  EXPECT_TRUE(scheme.verify(Json{{"form", form}}, peer)["valid"].get<bool>());
  std::string changed = form;
  changed.replace(changed.find("2.00"), 4, "3.00");
  EXPECT_FALSE(scheme.verify(Json{{"form", changed}}, peer)["valid"].get<bool>());
  EXPECT_FALSE(scheme.verify(Json{{"form", form}}, TestKey::other().peer())["valid"].get<bool>());
  EXPECT_FALSE(scheme.verify(Json{{"form", "a=1"}}, peer)["valid"].get<bool>());
}

TEST(AlipayErrors, NameTheField) {
  const AlipayScheme scheme;
  const auto field_of = [&](const char* json, const KeySettings& s) {
    try {
      scheme.sign(Json::parse(json), s, TestKey::shared().signer());
    } catch (const SchemeError& e) {
      return e.field() + (e.kind() == SchemeErrorKind::kBadRequest ? ":400" : ":422");
    }
    return std::string("no error");
  };
  EXPECT_EQ(field_of(R"({})", {}), "params:400");
  EXPECT_EQ(field_of(R"({"params":[1]})", {}), "params:400");
  EXPECT_EQ(field_of(R"({"params":{"a":"1"}})", {}), "alipay.app-id:422");
  EXPECT_EQ(field_of(R"({"params":{"app_id":"1","sign_type":"RSA"}})", {}), "params.sign_type:422");
  EXPECT_EQ(field_of(R"({"params":{"app_id":"1","sign":"x"}})", {}), "params.sign:422");
  EXPECT_EQ(field_of(R"({"params":{"app_id":"1"}})", {}), "no error");
}

// The signed text is always the UTF-8 bytes of the JSON input; Alipay checks the bytes in the
// declared charset, so with GBK and any non-ASCII value the signature would not verify there.
TEST(AlipayErrors, CharsetOtherThanUtf8IsRefused) {
  const AlipayScheme scheme;
  const auto error_of = [&](const Json& charset) {
    try {
      scheme.sign(Json{{"params", {{"app_id", "1"}, {"charset", charset}, {"subject", "测试"}}}},
                  {}, TestKey::shared().signer());
    } catch (const SchemeError& e) {
      return e.field() + (e.kind() == SchemeErrorKind::kBadRequest ? ":400 " : ":422 ") + e.what();
    }
    return std::string("no error");
  };
  for (const char* bad : {"GBK", "gb2312", "utf8", ""}) {
    EXPECT_EQ(error_of(bad).substr(0, 34), "params.charset:422 params.charset:") << bad;
  }
  EXPECT_NE(error_of("GBK").find("utf-8"), std::string::npos);
  EXPECT_EQ(error_of("utf-8"), "no error");
  EXPECT_EQ(error_of("UTF-8"), "no error");
}

}  // namespace
}  // namespace p11signd::schemes
