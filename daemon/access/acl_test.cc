#include "daemon/access/acl.h"

#include <sys/socket.h>
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

// A peer whose groups the kernel gave (SO_PEERGROUPS): the user database is never asked, even by a
// rule that names a group.
TEST(Policy, AsksNoUserDatabaseForAPeerWithKnownGroups) {
  int lookups = 0;
  const GroupLookup counting = [&](uid_t, gid_t gid) {
    ++lookups;
    return std::vector<gid_t>{gid};
  };
  Policy policy(config_with("[daemon]\nadmin-groups = 4000\n[key.k]\nlabel = k\nallow-groups = "
                            "4242\nschemes = raw\n"),
                {}, {}, counting);
  EXPECT_FALSE(policy.deny_key(peer(1000, {1000, 4242}), "k", "raw"));
  EXPECT_TRUE(policy.deny_key(peer(1001, {1001}), "k", "raw"));
  EXPECT_FALSE(policy.is_admin(peer(1001, {1001})));
  EXPECT_EQ(lookups, 0);
}

// Where the kernel could not say, the groups come from the lookup: once per uid and gid for the
// Policy's life, and not at all when no rule names a group.
TEST(Policy, LooksUpUnknownGroupsOncePerPeerAndOnlyForGroupRules) {
  std::vector<uid_t> asked;
  const GroupLookup recording = [&](uid_t uid, gid_t gid) {
    asked.push_back(uid);
    return uid == 1000 ? std::vector<gid_t>{gid, 4242} : std::vector<gid_t>{gid};
  };
  Peer unknown;
  unknown.uid = 1000;
  unknown.gid = 1000;
  Policy by_group(config_with("[key.k]\nlabel = k\nallow-groups = 4242\nschemes = raw\n"), {}, {},
                  recording);
  EXPECT_FALSE(by_group.deny_key(unknown, "k", "raw"));
  EXPECT_FALSE(by_group.deny_key(unknown, "k", "raw"));
  unknown.uid = 1001;
  EXPECT_TRUE(by_group.deny_key(unknown, "k", "raw"));
  EXPECT_EQ(asked, (std::vector<uid_t>{1000, 1001}));

  asked.clear();
  Policy by_uid(config_with("[key.k]\nlabel = k\nallow-uids = 1001\nschemes = raw\n"), {}, {},
                recording);
  EXPECT_FALSE(by_uid.deny_key(unknown, "k", "raw"));
  EXPECT_FALSE(by_uid.is_admin(unknown));
  EXPECT_TRUE(asked.empty());
}

// Over a Unix socket the kernel names the peer's groups, its primary group among them.
TEST(Peer, IdentifiesTheGroupsFromTheKernel) {
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  auto peer = identify_peer(fds[0]);
  close(fds[0]);
  close(fds[1]);
  ASSERT_TRUE(peer);
  EXPECT_EQ(peer->uid, geteuid());
  ASSERT_TRUE(peer->groups);
  EXPECT_NE(std::find(peer->groups->begin(), peer->groups->end(), getegid()), peer->groups->end());
}

TEST(Peer, GroupsOfRootIncludeItsPrimaryGroup) {
  auto groups = groups_of(0, 0);
  EXPECT_NE(std::find(groups.begin(), groups.end(), 0u), groups.end());
}

TEST(Peer, ExeOfThisProcess) { EXPECT_NE(exe_of(getpid()).find("daemon_test"), std::string::npos); }

}  // namespace
}  // namespace p11signd::daemon
