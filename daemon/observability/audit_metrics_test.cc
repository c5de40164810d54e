#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "daemon/observability/audit.h"
#include "daemon/observability/metrics.h"
#include "daemon/testing/test_support.h"

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

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST(AuditLog, ReopenMovesToTheNewFileAfterARename) {
  testing::TempDir dir;
  const std::string path = dir.file("audit.log");
  AuditLog log(path);
  AuditRecord rec;
  rec.op = "sign";
  rec.result = "before";
  ASSERT_TRUE(log.write(rec));
  std::filesystem::rename(path, path + ".1");  // what logrotate does before its postrotate
  ASSERT_TRUE(log.reopen());
  rec.result = "after";
  ASSERT_TRUE(log.write(rec));
  const auto rotated = lines_of(path + ".1");
  const auto fresh = lines_of(path);
  ASSERT_EQ(rotated.size(), 1u);
  ASSERT_EQ(fresh.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(rotated[0])["result"], "before");
  EXPECT_EQ(nlohmann::json::parse(fresh[0])["result"], "after");
}

TEST(AuditLog, ReopenThatFailsStopsTheLogUntilItCanOpenAgain) {
  testing::TempDir dir;
  const std::string sub = dir.file("logs");
  std::filesystem::create_directory(sub);
  AuditLog log(sub + "/audit.log");
  std::filesystem::remove_all(sub);
  EXPECT_FALSE(log.reopen());
  EXPECT_FALSE(log.healthy());
  EXPECT_FALSE(log.write(AuditRecord{}));
  std::filesystem::create_directory(sub);
  EXPECT_TRUE(log.try_recover());
  const auto lines = lines_of(sub + "/audit.log");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(lines[0])["op"], "audit-recovered");
}

// A denial or a verification after a failure re-opens the log itself: it is not dropped while
// nobody signs.
TEST(AuditLog, AnyLineReopensAFailedLog) {
  testing::TempDir dir;
  const std::string sub = dir.file("logs");
  AuditLog log(sub + "/audit.log");
  EXPECT_FALSE(log.healthy());
  std::filesystem::create_directory(sub);
  AuditRecord deny;
  deny.op = "deny";
  deny.result = "denied";
  EXPECT_TRUE(log.write(deny));
  EXPECT_TRUE(log.healthy());
  const auto lines = lines_of(sub + "/audit.log");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(lines[0])["op"], "audit-recovered");
  EXPECT_EQ(nlohmann::json::parse(lines[1])["op"], "deny");
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
