// The top-level fields each operation accepts come from the scheme's own description, and a field
// not among them is refused by name.
#include <gtest/gtest.h>

#include <algorithm>

#include "schemes/registry.h"

namespace p11signd::schemes {
namespace {

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST(SchemeFields, EveryOperationAcceptsWhatItsDescriptionLists) {
  SchemeRegistry registry;
  register_builtin_schemes(registry);
  for (const auto* s : registry.list()) {
    EXPECT_FALSE(s->accepted_fields("sign").empty()) << s->name();
    EXPECT_FALSE(s->accepted_fields("verify").empty()) << s->name();
    for (const auto& action : s->actions()) {
      EXPECT_FALSE(s->accepted_fields(action).empty()) << s->name() << " " << action;
    }
    EXPECT_TRUE(s->accepted_fields("frobnicate").empty()) << s->name();
  }
}

TEST(SchemeFields, AlternativesAndSecondShapesAreAccepted) {
  SchemeRegistry registry;
  register_builtin_schemes(registry);
  const auto jws = registry.find("jws")->accepted_fields("sign");
  EXPECT_TRUE(has(jws, "payload") && has(jws, "payload_b64") && has(jws, "header")) << jws.size();
  // Amazon Pay verifies a signed request, or a button's payload and signature.
  const auto amazon = registry.find("amazonpay")->accepted_fields("verify");
  for (const char* f : {"method", "url", "headers", "body", "payload", "signature", "algorithm"}) {
    EXPECT_TRUE(has(amazon, f)) << f;
  }
  const auto button = registry.find("amazonpay")->accepted_fields("button-signature");
  EXPECT_EQ(button, (std::vector<std::string>{"payload", "algorithm"}));
  const auto wechat = registry.find("wechatpay")->accepted_fields("verify");
  EXPECT_TRUE(has(wechat, "headers") && has(wechat, "timestamp"));
}

TEST(SchemeFields, AnUnreadFieldIsRefusedByNameWithTheNearest) {
  SchemeRegistry registry;
  register_builtin_schemes(registry);
  const Scheme& mypos = *registry.find("mypos");
  mypos.reject_unknown_fields(Json{{"key", "k"}, {"fields", Json::object()}}, "sign", {"key"});
  try {
    mypos.reject_unknown_fields(Json{{"key", "k"}, {"feilds", Json::object()}}, "sign", {"key"});
    FAIL() << "no error";
  } catch (const SchemeError& e) {
    EXPECT_EQ(e.kind(), SchemeErrorKind::kBadRequest);
    EXPECT_EQ(e.problem(), FieldProblem::kUnknown);
    EXPECT_EQ(e.field(), "feilds");
    EXPECT_STREQ(e.what(),
                 "feilds: not a field of mypos sign (did you mean 'fields'?); its fields are key, "
                 "fields");
  }
  // The form's own fields are the provider's and are not looked at.
  mypos.reject_unknown_fields(Json{{"fields", Json{{"IPCmethod", "IPCPurchase"}, {"x", "y"}}}},
                              "sign", {});
}

}  // namespace
}  // namespace p11signd::schemes
