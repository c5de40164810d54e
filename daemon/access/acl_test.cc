#include "daemon/access/acl.h"

#include <unistd.h>

#include <gtest/gtest.h>

namespace p11signd::daemon {
namespace {

Config config_with(const std::string& text) {
  auto r = parse_config_text("[token]\nuri = pkcs11:token=t\npin-file = /p\n" + text);
  EXPECT_TRUE(r.ok()) << (r.problems.empty() ? "" : r.problems.front());
  return r.config;
}

Peer peer(uid_t uid, std::vector<gid_t> groups) {
  Peer p;
  p.uid = uid;
  p.gid = groups.empty() ? uid : groups.front();
  p.groups = std::move(groups);
  return p;
}

TEST(Policy, UidAndSupplementaryGroupsGrantAccess) {
  Policy policy(
      config_with("[key.k]\nlabel = k\nallow-uids = 33\nallow-groups = 4242\nschemes = raw\n"), {});
  EXPECT_FALSE(policy.deny_key(peer(33, {33}), "k", "raw"));
  EXPECT_FALSE(policy.deny_key(peer(1000, {1000, 4242}), "k", "raw"));  // supplementary group
  auto denial = policy.deny_key(peer(1000, {1000}), "k", "raw");
  ASSERT_TRUE(denial);
  // The peer learns it is refused, not who is allowed; the audit line keeps the rule.
  EXPECT_EQ(denial->message, "peer uid 1000 may not use key 'k'");
  EXPECT_EQ(denial->audit_reason,
            "peer uid 1000 may not use key 'k' (allow-uids = 33; allow-groups = 4242)");
}

TEST(Policy, SchemesRestrictTheKey) {
  Policy policy(config_with("[key.k]\nlabel = k\nallow-uids = 33\nschemes = mypos\n"), {});
  EXPECT_FALSE(policy.deny_key(peer(33, {33}), "k", "mypos"));
  auto denial = policy.deny_key(peer(33, {33}), "k", "raw");
  ASSERT_TRUE(denial);
  EXPECT_NE(denial->message.find("schemes = mypos"), std::string::npos);
}

TEST(Policy, AKeyWithoutSchemesSignsForNone) {
  Policy policy(config_with("[key.k]\nlabel = k\nallow-uids = 33\n"), {});
  EXPECT_TRUE(policy.schemes_of("k").empty());
  for (const char* scheme : {"raw", "mypos", "jws"}) {
    auto denial = policy.deny_key(peer(33, {33}), "k", scheme);
    ASSERT_TRUE(denial) << scheme;
    EXPECT_NE(denial->message.find("(schemes = (none))"), std::string::npos) << denial->message;
  }
  EXPECT_FALSE(policy.deny_key(peer(33, {33}), "k", ""));  // the public key, a certificate
}

TEST(Policy, AdminsByUidOrGroup) {
  Policy policy(config_with("[daemon]\nadmin-uids = 0\nadmin-groups = 4000\n"), {});
  EXPECT_TRUE(policy.is_admin(peer(0, {0})));
  EXPECT_TRUE(policy.is_admin(peer(5, {5, 4000})));
  auto denial = policy.deny_admin(peer(5, {5}));
  ASSERT_TRUE(denial);
  EXPECT_EQ(denial->message, "peer uid 5 is not an admin");
  EXPECT_EQ(denial->audit_reason,
            "peer uid 5 is not an admin (admin-uids = 0; admin-groups = 4000)");
}

// A key made through the API signs for no scheme until a [key.NAME] section names it: admins may
// read it and make its certificate or CSR (scheme ""), nobody may sign with it.
TEST(Policy, RuntimeKeysSignNothingUntilConfigured) {
  Policy policy(config_with("[daemon]\nadmin-uids = 0\n"), {"fresh"});
  EXPECT_TRUE(policy.knows_key("fresh"));
  EXPECT_TRUE(policy.schemes_of("fresh").empty());
  EXPECT_FALSE(policy.deny_key(peer(0, {0}), "fresh", ""));
  EXPECT_TRUE(policy.deny_key(peer(0, {0}), "fresh", "raw"));
  EXPECT_TRUE(policy.deny_key(peer(33, {33}), "fresh", ""));
  EXPECT_TRUE(policy.deny_key(peer(33, {33}), "fresh", "raw"));
}

TEST(Policy, KeepsTheKeysItWasPublishedWith) {
  KeyInfo info;
  info.name = "k";
  info.fingerprint_sha256 = "ab";
  Policy policy(config_with("[key.k]\nlabel = k\nallow-uids = 33\n"), {}, {info});
  ASSERT_NE(policy.key("k"), nullptr);
  EXPECT_EQ(policy.key("k")->fingerprint_sha256, "ab");
  EXPECT_EQ(policy.key("other"), nullptr);
}

TEST(Peer, GroupsOfRootIncludeItsPrimaryGroup) {
  auto groups = groups_of(0, 0);
  EXPECT_NE(std::find(groups.begin(), groups.end(), 0u), groups.end());
}

TEST(Peer, ExeOfThisProcess) { EXPECT_NE(exe_of(getpid()).find("daemon_test"), std::string::npos); }

}  // namespace
}  // namespace p11signd::daemon
