#include "schemes/registry.h"

#include <gtest/gtest.h>

#include "schemes/peer_key.h"

namespace p11signd::schemes {
namespace {

TEST(SchemeRegistry, BuiltinsAreListedSortedAndFound) {
  SchemeRegistry registry;
  register_builtin_schemes(registry);
  std::vector<std::string> names;
  for (const Scheme* s : registry.list()) names.push_back(s->name());
  const std::vector<std::string> want = {
      "alipay", "alipay-v3", "amazonpay", "carat", "cavage",  "client-assertion", "httpsig",
      "jws",    "mypos",     "ob-jws",    "raw",   "swifood", "wechatpay"};
  EXPECT_EQ(names, want);
  ASSERT_NE(registry.find("mypos"), nullptr);
  EXPECT_EQ(registry.find("mypos")->name(), "mypos");
  EXPECT_EQ(registry.find("paypal"), nullptr);
  EXPECT_EQ(registry.find("MYPOS"), nullptr);
}

TEST(SchemeRegistry, EveryDescriptionNamesItsInputsAndSettings) {
  SchemeRegistry registry;
  register_builtin_schemes(registry);
  for (const Scheme* s : registry.list()) {
    const Json d = s->describe();
    EXPECT_EQ(d["name"], s->name());
    EXPECT_TRUE(d["sign"]["required"].is_array()) << s->name();
    EXPECT_TRUE(d["verify"]["required"].is_array()) << s->name();
    EXPECT_TRUE(d["settings"].is_array()) << s->name();
  }
}

TEST(SchemeRegistry, EverySchemeDeclaresItsSettingsUnderItsName) {
  SchemeRegistry registry;
  register_builtin_schemes(registry);
  for (const Scheme* s : registry.list()) {
    KeySettings all;
    for (const auto& setting : s->known_settings()) {
      EXPECT_EQ(setting.rfind(s->name() + ".", 0), 0u) << setting;
      all[setting] = "1";
    }
    EXPECT_EQ(s->describe()["settings"], Json(s->known_settings())) << s->name();
    EXPECT_TRUE(s->unknown_settings(all).empty()) << s->name();
  }
}

TEST(SchemeRegistry, UnknownSettingsNameTheKnownOnes) {
  SchemeRegistry registry;
  register_builtin_schemes(registry);
  const KeySettings settings = {{"mypos.sid", "1"},
                                {"mypos.wallet_number", "2"},
                                {"mypos.key-index", "1"},
                                {"swifood.appid", "3"}};
  EXPECT_EQ(registry.find("mypos")->unknown_settings(settings),
            std::vector<std::string>{"mypos.wallet_number: not a setting of scheme mypos; did "
                                     "you mean 'mypos.wallet-number'? (its settings: mypos.sid, "
                                     "mypos.wallet-number, mypos.key-index)"});
  EXPECT_EQ(registry.find("swifood")->unknown_settings(settings),
            std::vector<std::string>{"swifood.appid: not a setting of scheme swifood; did you "
                                     "mean 'swifood.app-id'? (its settings: swifood.app-id, "
                                     "swifood.store-key)"});
  EXPECT_EQ(registry.find("raw")->unknown_settings({{"raw.alg", "x"}}),
            std::vector<std::string>{"raw.alg: not a setting of scheme raw (it has none)"});
  EXPECT_TRUE(registry.find("jws")->unknown_settings(settings).empty());
}

TEST(SchemeRegistry, DuplicateNamesAreRefused) {
  SchemeRegistry registry;
  register_builtin_schemes(registry);
  class Dup final : public Scheme {
   public:
    std::string name() const override { return "raw"; }
    Json describe() const override { return {}; }
    std::vector<std::string> known_settings() const override { return {}; }
    Json sign(const Json&, const KeySettings&, const SigningKey&) const override { return {}; }
    Json verify(const Json&, const PeerKey&) const override { return {}; }
  };
  EXPECT_THROW(registry.add(std::make_unique<Dup>()), std::invalid_argument);
}

TEST(SchemeRegistry, UnknownActionIsABadRequest) {
  SchemeRegistry registry;
  register_builtin_schemes(registry);
  try {
    registry.find("mypos")->run_action("button-signature", Json::object(), {},
                                       SigningKey(nullptr, KeyType::kRsa));
    FAIL();
  } catch (const SchemeError& e) {
    EXPECT_EQ(e.kind(), SchemeErrorKind::kBadRequest);
  }
}

}  // namespace
}  // namespace p11signd::schemes
