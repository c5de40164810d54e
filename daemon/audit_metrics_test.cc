#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>

#include "daemon/audit.h"
#include "daemon/metrics.h"
#include "daemon/test_support.h"

namespace p11signd::daemon {
namespace {

TEST(AuditLog, WritesOneJsonLinePerRecord) {
  testing::TempDir dir;
  const std::string path = dir.file("audit.log");
  AuditLog log(path);
  Peer peer;
  peer.uid = 33;
  AuditRecord rec;
  rec.op = "sign";
  rec.peer = &peer;
  rec.key = "k";
  rec.result = "ok";
  ASSERT_TRUE(log.write(rec));
  ASSERT_TRUE(log.write(rec));
  std::ifstream in(path);
  int lines = 0;
  for (std::string line; std::getline(in, line); ++lines) {
    auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["peer"]["uid"], 33);
  }
  EXPECT_EQ(lines, 2);
}

TEST(AuditLog, UnopenableFileIsUnhealthyWithTheReason) {
  AuditLog log("/nonexistent-dir/audit.log");
  EXPECT_FALSE(log.healthy());
  EXPECT_NE(log.failure().find("/nonexistent-dir/audit.log"), std::string::npos);
  EXPECT_FALSE(log.write(AuditRecord{}));
  EXPECT_FALSE(log.try_recover());
}

TEST(Metrics, HistogramBucketsAreCumulative) {
  Metrics m;
  m.observe_sign("k", "RSA-SHA256", std::chrono::microseconds(500));
  m.observe_sign("k", "RSA-SHA256", std::chrono::milliseconds(30));
  const std::string text = m.render({});
  EXPECT_NE(text.find("p11signd_sign_seconds_bucket{key=\"k\",alg=\"RSA-SHA256\",le=\"0.001\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("p11signd_sign_seconds_bucket{key=\"k\",alg=\"RSA-SHA256\",le=\"0.05\"} 2"),
            std::string::npos);
  EXPECT_NE(text.find("p11signd_sign_seconds_count{key=\"k\",alg=\"RSA-SHA256\"} 2"),
            std::string::npos);
  EXPECT_NE(text.find("# TYPE p11signd_sign_seconds histogram"), std::string::npos);
}

}  // namespace
}  // namespace p11signd::daemon
