// The [daemon] settings of the audit trail's checkpoints.
#include <gtest/gtest.h>

#include "daemon/config/config.h"
#include "daemon/lifecycle/daemon.h"
#include "daemon/testing/fake_keystore.h"

namespace p11signd::daemon {
namespace {

const std::string kBase = "[token]\nuri = pkcs11:token=t\npin-file = /p\n";

std::string problems_of(const ConfigResult& r) {
  std::string out;
  for (const auto& p : r.problems) out += p + "\n";
  return out;
}

TEST(AuditConfig, DefaultsAreUnsignedCheckpointsEvery1000RecordsOr60Seconds) {
  const auto d = parse_config_text(kBase).config.daemon;
  EXPECT_EQ(d.audit_key, "");
  EXPECT_EQ(d.audit_checkpoint_records, 1000u);
  EXPECT_EQ(d.audit_checkpoint_interval, std::chrono::seconds(60));
}

TEST(AuditConfig, TheAuditKeyIsAKeySectionNoClientMayUse) {
  const auto r = parse_config_text(kBase +
                                   "[daemon]\naudit-key = audit\naudit-checkpoint-records = 0\n"
                                   "audit-checkpoint-seconds = 5\n[key.audit]\nlabel = a\n");
  ASSERT_TRUE(r.ok()) << problems_of(r);
  EXPECT_EQ(r.config.daemon.audit_key, "audit");
  EXPECT_EQ(r.config.daemon.audit_checkpoint_records, 0u);
  EXPECT_EQ(r.config.daemon.audit_checkpoint_interval, std::chrono::seconds(5));

  const auto missing = parse_config_text(kBase + "[daemon]\naudit-key = audit\n");
  EXPECT_EQ(problems_of(missing), "[daemon] audit-key: no [key.audit] section\n");

  const auto usable = parse_config_text(kBase +
                                        "[daemon]\naudit-key = audit\n[key.audit]\nlabel = a\n"
                                        "allow-uids = 0\n");
  EXPECT_EQ(problems_of(usable),
            "[daemon] audit-key: [key.audit] has allow-uids or allow-groups: the audit key must "
            "sign checkpoints only, or a client could forge them\n");
}

TEST(AuditConfig, OutOfRangeValuesAreNamed) {
  const auto r = parse_config_text(kBase +
                                   "[daemon]\naudit-checkpoint-records = lots\n"
                                   "audit-checkpoint-seconds = 86401\n");
  EXPECT_EQ(
      problems_of(r),
      "line 5: [daemon] audit-checkpoint-records: 'lots' is not a number from 0 to 100000000\n"
      "line 6: [daemon] audit-checkpoint-seconds: '86401' is not a number from 0 to 86400\n");
}

// The checkpoints sign on a session of their own: the workers leave one of the token's sessions.
TEST(AuditConfig, AnAuditKeyLeavesOneOfTheTokensSessionsToTheCheckpoints) {
  DaemonSettings d;
  d.workers = 8;
  EXPECT_EQ(worker_count(d, FakeKeyStore("t", 4)), 4u);
  d.audit_key = "audit";
  EXPECT_EQ(worker_count(d, FakeKeyStore("t", 4)), 3u);
  EXPECT_EQ(worker_count(d, FakeKeyStore("t", 1)), 1u);
  EXPECT_EQ(worker_count(d, FakeKeyStore("t", 0)), 8u);
}

}  // namespace
}  // namespace p11signd::daemon
