// /v1/health's certificate warning and the key version metrics, over the socket of an in-process
// daemon on the fake store.

#include <gtest/gtest.h>

#include "daemon/observability/key_version_gauges.h"
#include "daemon/testing/test_support.h"

namespace p11signd::daemon {
namespace {

using namespace p11signd::daemon::testing;

// A certificate for demo's active version, valid for `days` from now; its notAfter.
std::int64_t certify_demo(TestDaemon& d, unsigned days) {
  return certificate_not_after(d.store().make_certificate(KeyRef("demo"), "CN=demo", days, true))
      .value_or(0);
}

TEST(ServerKeyExpiry, HealthWarnsAboutACertificateExpiringSoonAndStays200) {
  TestDaemon d;
  certify_demo(d, 5);
  Client c(d.socket());
  const auto res = c.get("/v1/health");
  ASSERT_EQ(res.result_int(), 200u) << res.body();
  const auto j = body_json(res);
  EXPECT_EQ(j["status"], "ok");
  ASSERT_EQ(j["warnings"].size(), 1u) << j.dump();
  EXPECT_EQ(j["warnings"][0]["key"], "demo");
  EXPECT_EQ(j["warnings"][0]["version"], 1);
  EXPECT_NE(j["warnings"][0]["message"].get<std::string>().find(
                "the certificate of key 'demo' version 1 (active) expires on "),
            std::string::npos);
}

TEST(ServerKeyExpiry, HealthWarnsOnlyWithinTheConfiguredDays) {
  TestDaemon::Options options;
  options.daemon_extra = "certificate-warning-days = 3\n";
  TestDaemon d(options);
  certify_demo(d, 5);
  Client c(d.socket());
  const auto res = c.get("/v1/health");
  ASSERT_EQ(res.result_int(), 200u) << res.body();
  EXPECT_FALSE(body_json(res).contains("warnings")) << res.body();
}

TEST(ServerKeyExpiry, MetricsNameEachVersionAndWhenItsCertificateExpires) {
  TestDaemon d;
  const std::int64_t not_after = certify_demo(d, 90);
  Client c(d.socket());
  const auto res = c.get("/metrics");
  ASSERT_EQ(res.result_int(), 200u);
  const std::string& m = res.body();
  EXPECT_NE(m.find("p11signd_key_version_info{key=\"demo\",version=\"1\",state=\"active\"} 1\n"),
            std::string::npos)
      << m;
  EXPECT_NE(
      m.find("p11signd_key_version_info{key=\"restricted\",version=\"1\",state=\"active\"} 1"),
      std::string::npos);
  EXPECT_NE(m.find("p11signd_certificate_not_after_seconds{key=\"demo\",version=\"1\"} " +
                   std::to_string(not_after) + "\n"),
            std::string::npos);
  EXPECT_EQ(m.find("p11signd_certificate_not_after_seconds{key=\"restricted\""), std::string::npos);
}

// The certificates are read on a worker; with the token down the rest of the metrics still
// answer, without certificate times.
TEST(ServerKeyExpiry, MetricsAnswerWhenTheTokenIsDown) {
  TestDaemon d;
  certify_demo(d, 90);
  d.store().set_down(true);
  Client c(d.socket());
  const auto res = c.get("/metrics");
  ASSERT_EQ(res.result_int(), 200u) << res.body();
  EXPECT_NE(res.body().find("p11signd_token_up{state=\"down\"} 0"), std::string::npos)
      << res.body();
  EXPECT_NE(res.body().find("p11signd_key_version_info{key=\"demo\",version=\"1\""),
            std::string::npos);
  EXPECT_EQ(res.body().find("p11signd_certificate_not_after_seconds{"), std::string::npos);
}

}  // namespace
}  // namespace p11signd::daemon
