// What `p11signd --check-config` says about a key's unset settings, for every scheme: a setting no
// request can make up for is a problem, one a request can is a warning naming the request field,
// and the few left (truly optional) are listed here with why. A new setting must land in one of the
// three, or this test fails.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "schemes/registry.h"

namespace p11signd::schemes {
namespace {

// The settings a key may leave out without anything failing later.
const std::map<std::string, std::string> kOptional = {
    {"amazonpay.algorithm", "defaults to AMZN-PAY-RSASSA-PSS-V2"},
    {"jws.kid", "a JWS header without kid is valid"},
    {"httpsig.components",
     "defaults to @method @target-uri (@status for a response), content-digest with a body"},
    {"httpsig.alg", "defaults to the key type's algorithm"},
    {"httpsig.keyid", "keyid is an optional signature parameter"},
    {"httpsig.label", "defaults to sig1"},
    {"httpsig.expires-in", "no expires parameter unless set"},
    {"httpsig.content-digest", "defaults to sha-256"},
    {"ob-jws.tan", "defaults to openbanking.org.uk, the Open Banking directory"},
    {"ob-jws.variant", "defaults to v3.1.4 (no b64), the form of every current profile"},
    {"client-assertion.kid", "a JWS header without kid is valid"},
    {"client-assertion.alg", "follows the key type (RS256 for RSA)"},
    {"client-assertion.lifetime", "defaults to 300 seconds"},
    {"cavage.headers", "defaults to the NextGenPSD2 list"},
    {"cavage.digest", "defaults to SHA-256"},
    {"cavage.key-id", "defaults to SN=...,CA=... of cavage.certificate"},
    {"alipay-v3.app-cert-sn", "only for keys in Alipay's public-key-certificate mode"},
};

// The setting each line is about: its first word.
std::set<std::string> settings_named(const std::vector<std::string>& lines) {
  std::set<std::string> out;
  for (const auto& line : lines) out.insert(line.substr(0, line.find_first_of(" :")));
  return out;
}

SchemeRegistry builtin() {
  SchemeRegistry registry;
  register_builtin_schemes(registry, [] { return std::chrono::system_clock::now(); });
  return registry;
}

TEST(SettingsCheck, EveryUnsetSettingIsAProblemAWarningOrKnownOptional) {
  const SchemeRegistry registry = builtin();
  for (const Scheme* scheme : registry.list()) {
    const auto problems = settings_named(scheme->check_settings({}));
    const auto warnings = settings_named(scheme->unset_fallbacks({}));
    for (const auto& setting : scheme->known_settings()) {
      const int said = problems.count(setting) + warnings.count(setting) + kOptional.count(setting);
      EXPECT_EQ(said, 1) << scheme->name() << ": " << setting
                         << " must be exactly one of: a problem when unset, a warning when unset, "
                            "or optional";
    }
  }
}

TEST(SettingsCheck, RequiredAndFallbackSettingsPerScheme) {
  const SchemeRegistry registry = builtin();
  const std::map<std::string, std::pair<std::set<std::string>, std::set<std::string>>> expected = {
      {"raw", {{}, {}}},
      {"mypos", {{}, {"mypos.sid", "mypos.wallet-number", "mypos.key-index"}}},
      {"swifood", {{"swifood.app-id", "swifood.store-key"}, {}}},
      {"carat", {{}, {"carat.merchant-id", "carat.merchant-key-file"}}},
      {"jws", {{}, {}}},
      {"httpsig", {{}, {}}},
      {"amazonpay", {{"amazonpay.public-key-id", "amazonpay.region"}, {}}},
      {"alipay", {{}, {"alipay.app-id"}}},
      {"wechatpay", {{"wechatpay.mchid", "wechatpay.serial-no"}, {}}},
      {"ob-jws", {{"ob-jws.kid", "ob-jws.iss"}, {}}},
      {"client-assertion", {{"client-assertion.client-id"}, {"client-assertion.audience"}}},
      {"cavage", {{"cavage.certificate"}, {}}},
      {"alipay-v3", {{"alipay-v3.app-id"}, {}}},
  };
  EXPECT_EQ(registry.list().size(), expected.size());
  for (const auto& [name, sets] : expected) {
    const Scheme* scheme = registry.find(name);
    ASSERT_NE(scheme, nullptr) << name;
    EXPECT_EQ(settings_named(scheme->check_settings({})), sets.first) << name;
    EXPECT_EQ(settings_named(scheme->unset_fallbacks({})), sets.second) << name;
  }
}

// The warning names the field every request must then carry; a set setting says nothing.
TEST(SettingsCheck, AWarningNamesTheRequestField) {
  const SchemeRegistry registry = builtin();
  const Scheme* mypos = registry.find("mypos");
  const auto notes = mypos->unset_fallbacks({{"mypos.sid", "1"}, {"mypos.key-index", "1"}});
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0],
            "mypos.wallet-number is not set: every mypos request must carry fields.WalletNumber "
            "itself (a request without it is refused, 422)");
}

}  // namespace
}  // namespace p11signd::schemes
