#include "daemon/acl.h"

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
  Policy policy(config_with("[key.k]\nlabel = k\nallow-uids = 33\nallow-groups = 4242\n"), {});
  EXPECT_FALSE(policy.deny_key(peer(33, {33}), "k", "raw"));
  EXPECT_FALSE(policy.deny_key(peer(1000, {1000, 4242}), "k", "raw"));  // supplementary group
  auto denial = policy.deny_key(peer(1000, {1000}), "k", "raw");
  ASSERT_TRUE(denial);
  EXPECT_EQ(*denial, "peer uid 1000 may not use key 'k' (allow-uids = 33; allow-groups = 4242)");
}

TEST(Policy, SchemesRestrictTheKey) {
  Policy policy(config_with("[key.k]\nlabel = k\nallow-uids = 33\nschemes = mypos\n"), {});
  EXPECT_FALSE(policy.deny_key(peer(33, {33}), "k", "mypos"));
  auto denial = policy.deny_key(peer(33, {33}), "k", "raw");
  ASSERT_TRUE(denial);
  EXPECT_NE(denial->find("schemes = mypos"), std::string::npos);
}

TEST(Policy, AdminsByUidOrGroup) {
  Policy policy(config_with("[daemon]\nadmin-uids = 0\nadmin-groups = 4000\n"), {});
  EXPECT_TRUE(policy.is_admin(peer(0, {0})));
  EXPECT_TRUE(policy.is_admin(peer(5, {5, 4000})));
  auto denial = policy.deny_admin(peer(5, {5}));
  ASSERT_TRUE(denial);
  EXPECT_EQ(*denial, "peer uid 5 is not an admin (admin-uids = 0; admin-groups = 4000)");
}

TEST(Policy, RuntimeKeysAreForAdminsOnlyUntilConfigured) {
  Policy policy(config_with("[daemon]\nadmin-uids = 0\n"), {"fresh"});
  EXPECT_TRUE(policy.knows_key("fresh"));
  EXPECT_FALSE(policy.deny_key(peer(0, {0}), "fresh", "raw"));
  EXPECT_TRUE(policy.deny_key(peer(33, {33}), "fresh", "raw"));
}

TEST(Peer, GroupsOfRootIncludeItsPrimaryGroup) {
  auto groups = groups_of(0, 0);
  EXPECT_NE(std::find(groups.begin(), groups.end(), 0u), groups.end());
}

TEST(Peer, ExeOfThisProcess) { EXPECT_NE(exe_of(getpid()).find("daemon_test"), std::string::npos); }

}  // namespace
}  // namespace p11signd::daemon
