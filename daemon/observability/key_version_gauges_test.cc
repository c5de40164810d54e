// What /metrics and /v1/health say about key versions and certificate expiry, against the fake
// store (whose certificates are real X.509, made with the validity asked for).

#include "daemon/observability/key_version_gauges.h"

#include <gtest/gtest.h>

#include "daemon/testing/fake_keystore.h"

namespace p11signd::daemon {
namespace {

using namespace std::chrono;

class KeyVersionGaugesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_.add_token_key("shop");
    store_.add_token_key("plain");
    store_.set_keys({KeySpec{"shop", "shop", "", false}, KeySpec{"plain", "plain", "", false}});
  }
  // A certificate for the key's active version, valid from now for `days`; its notAfter.
  std::int64_t certify(const std::string& name, unsigned days) {
    const std::string pem = store_.make_certificate(KeyRef(name), "CN=" + name, days, true);
    const auto not_after = certificate_not_after(pem);
    EXPECT_TRUE(not_after.has_value());
    return not_after.value_or(0);
  }

  FakeKeyStore store_;
};

TEST_F(KeyVersionGaugesTest, NotAfterIsTheCertificatesValidityEnd) {
  const auto before = system_clock::to_time_t(system_clock::now());
  const std::int64_t not_after = certify("shop", 10);
  const auto after = system_clock::to_time_t(system_clock::now());
  EXPECT_GE(not_after, before + 10 * 86400);
  EXPECT_LE(not_after, after + 10 * 86400);
  EXPECT_FALSE(certificate_not_after("not a certificate").has_value());
  EXPECT_FALSE(certificate_not_after("").has_value());
}

TEST_F(KeyVersionGaugesTest, EveryVersionWithItsStateAndCertificate) {
  const std::int64_t not_after = certify("shop", 90);
  const auto gauges = key_version_gauges(store_, true);
  ASSERT_EQ(gauges.size(), 2u);
  EXPECT_EQ(gauges[0].key, "plain");
  EXPECT_EQ(gauges[0].version, 1u);
  EXPECT_EQ(gauges[0].state, "active");
  EXPECT_FALSE(gauges[0].certificate_not_after.has_value());
  EXPECT_EQ(gauges[1].key, "shop");
  EXPECT_EQ(gauges[1].certificate_not_after, not_after);
  EXPECT_FALSE(key_version_gauges(store_, false)[1].certificate_not_after.has_value());
}

// The token being down leaves the certificates out; the states are still there.
TEST_F(KeyVersionGaugesTest, AnUnreadableCertificateIsLeftOut) {
  certify("shop", 90);
  store_.set_down(true);
  const auto gauges = key_version_gauges(store_, true);
  ASSERT_EQ(gauges.size(), 2u);
  EXPECT_FALSE(gauges[1].certificate_not_after.has_value());
}

TEST_F(KeyVersionGaugesTest, WarnsForAnActiveCertificateWithinTheWindowOnly) {
  const std::int64_t soon = certify("shop", 5);
  certify("plain", 365);
  const auto four_and_a_half_days_before = system_clock::from_time_t(soon) - hours(108);
  const auto warnings = certificate_warnings(store_, four_and_a_half_days_before, days(30));
  ASSERT_EQ(warnings.size(), 1u) << warnings.dump();
  EXPECT_EQ(warnings[0]["key"], "shop");
  EXPECT_EQ(warnings[0]["version"], 1);
  const std::string message = warnings[0]["message"];
  EXPECT_NE(message.find("the certificate of key 'shop' version 1 (active) expires on " +
                         warnings[0]["not_after"].get<std::string>()),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("in 4 days"), std::string::npos) << message;
  EXPECT_TRUE(certificate_warnings(store_, system_clock::now(), days(4)).empty());
  EXPECT_TRUE(certificate_warnings(store_, system_clock::now(), days(0)).empty());
  // Seen from after its end, the certificate has expired.
  const auto later = system_clock::from_time_t(soon) + hours(1);
  const auto expired = certificate_warnings(store_, later, days(30));
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_NE(expired[0]["message"].get<std::string>().find("expired on"), std::string::npos);
}

TEST(KeyVersionMetrics, RenderedAsPrometheusGauges) {
  Metrics m;
  Gauges g;
  g.key_versions = {{"shop", 1, "retiring", 1798675200}, {"shop", 2, "active", std::nullopt}};
  const std::string text = m.render(g);
  EXPECT_NE(
      text.find("p11signd_key_version_info{key=\"shop\",version=\"1\",state=\"retiring\"} 1\n"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("p11signd_key_version_info{key=\"shop\",version=\"2\",state=\"active\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("p11signd_certificate_not_after_seconds{key=\"shop\",version=\"1\"} "
                      "1798675200\n"),
            std::string::npos);
  EXPECT_EQ(text.find("p11signd_certificate_not_after_seconds{key=\"shop\",version=\"2\"}"),
            std::string::npos);
  EXPECT_NE(text.find("# TYPE p11signd_certificate_not_after_seconds gauge"), std::string::npos);
}

}  // namespace
}  // namespace p11signd::daemon
