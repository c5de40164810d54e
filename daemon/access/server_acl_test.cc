// Peer credentials over a real socket: a client forked and dropped to nobody (65534) is refused
// keys and admin routes it is not allowed, with a 403 naming the key and the rule. Needs root (as
// CI runs); skipped otherwise.
#include <grp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <vector>

#include "daemon/testing/test_support.h"

namespace p11signd::daemon {
namespace {

using namespace p11signd::daemon::testing;

constexpr uid_t kNobody = 65534;
constexpr gid_t kNogroup = 65534;

// Forks, drops to uid/gid, sends `request` and returns what came back (up to 4 KiB). The child uses
// only system calls: the parent has threads, so nothing that may take a lock (malloc) after fork().
std::string exchange_as(uid_t uid, gid_t gid, const std::string& socket_path,
                        const std::string& request, const std::vector<gid_t>& groups = {}) {
  int pipefd[2];
  if (pipe(pipefd) != 0) return "pipe failed";
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket_path.c_str(), sizeof addr.sun_path - 1);
  const pid_t pid = fork();
  if (pid == 0) {
    close(pipefd[0]);
    if (setgroups(groups.size(), groups.data()) != 0 || setgid(gid) != 0 || setuid(uid) != 0) {
      _exit(2);
    }
    const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) _exit(3);
    if (write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) _exit(4);
    char buf[4096];
    ssize_t total = 0;
    for (ssize_t n;
         (n = read(fd, buf + total, sizeof buf - static_cast<std::size_t>(total))) > 0;) {
      total += n;
    }
    if (write(pipefd[1], buf, static_cast<std::size_t>(total)) < 0) _exit(5);
    _exit(0);
  }
  close(pipefd[1]);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = read(pipefd[0], buf, sizeof buf)) > 0;)
    out.append(buf, static_cast<std::size_t>(n));
  close(pipefd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return "child failed with " + std::to_string(WEXITSTATUS(status));
  }
  return out;
}

std::string post_request(const std::string& target, const std::string& body) {
  return "POST " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

class AclTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to act as another uid";
  }
};

// The refused peer learns that it is refused, not which uids and groups are allowed; the audit
// line keeps the whole rule.
TEST_F(AclTest, OtherUidIsRefusedWithoutBeingToldWhoIsAllowed) {
  TestDaemon::Options o;
  o.sections =
      "[key.demo]\nlabel = demo\nallow-uids = 0, 4711\nallow-groups = 4712\nschemes = raw\n";
  TestDaemon d(o);
  const std::string answer = exchange_as(kNobody, kNogroup, d.socket(),
                                         post_request("/v1/keys/demo/sign", sign_body("x")));
  EXPECT_EQ(answer.rfind("HTTP/1.1 403", 0), 0u) << answer;
  EXPECT_NE(answer.find("peer uid 65534 may not use key 'demo'"), std::string::npos) << answer;
  EXPECT_NE(answer.find("\"code\":\"forbidden\""), std::string::npos);
  for (const char* secret : {"allow-uids", "allow-groups", "4711", "4712"}) {
    EXPECT_EQ(answer.find(secret), std::string::npos) << secret << " in " << answer;
  }
  d.stop();
  bool audited = false;
  for (const auto& rec : d.audit_records()) {
    if (rec.value("op", "") != "deny") continue;
    audited = rec.value("result", "").find("allow-uids = 0,4711; allow-groups = 4712") !=
              std::string::npos;
  }
  EXPECT_TRUE(audited) << "the audit line names the rule";
}

TEST_F(AclTest, AllowedUidMaySign) {
  TestDaemon::Options o;
  o.sections = "[key.demo]\nlabel = demo\nallow-uids = 0, 65534\nschemes = raw\n";
  TestDaemon d(o);
  const std::string answer = exchange_as(kNobody, kNogroup, d.socket(),
                                         post_request("/v1/keys/demo/sign", sign_body("x")));
  EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer;
}

TEST_F(AclTest, AllowedGroupMaySign) {
  TestDaemon::Options o;
  o.sections = "[key.demo]\nlabel = demo\nallow-uids = 0\nallow-groups = 65534\nschemes = raw\n";
  TestDaemon d(o);
  const std::string answer = exchange_as(kNobody, kNogroup, d.socket(),
                                         post_request("/v1/keys/demo/sign", sign_body("x")));
  EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer;
}

// allow-groups is checked against the groups the peer process runs with (SO_PEERGROUPS), not those
// the user database lists for its user: nobody is in no group 4242 in /etc/group, but a process
// given that group may sign, and the same user without it may not.
TEST_F(AclTest, SupplementaryGroupsAreThePeerProcesssOwn) {
  TestDaemon::Options o;
  o.sections = "[key.demo]\nlabel = demo\nallow-uids = 0\nallow-groups = 4242\nschemes = raw\n";
  TestDaemon d(o);
  const std::string with = exchange_as(kNobody, kNogroup, d.socket(),
                                       post_request("/v1/keys/demo/sign", sign_body("x")), {4242});
  EXPECT_EQ(with.rfind("HTTP/1.1 200", 0), 0u) << with;
  const std::string without = exchange_as(kNobody, kNogroup, d.socket(),
                                          post_request("/v1/keys/demo/sign", sign_body("x")));
  EXPECT_EQ(without.rfind("HTTP/1.1 403", 0), 0u) << without;
}

TEST_F(AclTest, AdminRoutesAreRefusedToNonAdmins) {
  TestDaemon d;
  for (const auto& [target, body] : std::vector<std::pair<std::string, std::string>>{
           {"/v1/keys", R"({"name":"x"})"},
           {"/v1/keys/import", R"({"name":"x","pem":"..."})"},
           {"/v1/keys/demo/certificate", R"({"subject":"CN=x"})"},
           {"/v1/keys/demo/csr", R"({"subject":"CN=x"})"}}) {
    const std::string answer =
        exchange_as(kNobody, kNogroup, d.socket(), post_request(target, body));
    EXPECT_EQ(answer.rfind("HTTP/1.1 403", 0), 0u) << target << ": " << answer;
    EXPECT_NE(answer.find("is not an admin"), std::string::npos) << answer;
    EXPECT_EQ(answer.find("admin-uids"), std::string::npos) << answer;
  }
}

// nobody may use 'second' only: the list holds exactly that key (not none, which a route hiding
// every key from non-admins would answer; not the others, which only root may use).
TEST_F(AclTest, KeyListShowsOnlyWhatThePeerMayUse) {
  TestDaemon::Options o;
  o.sections += "[key.second]\nlabel = second\nallow-uids = 0, 65534\nschemes = raw\n";
  TestDaemon d(o);
  const std::string answer =
      exchange_as(kNobody, kNogroup, d.socket(),
                  "GET /v1/keys HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  ASSERT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer;
  const auto body_at = answer.find("\r\n\r\n");
  ASSERT_NE(body_at, std::string::npos) << answer;
  const auto body = nlohmann::json::parse(answer.substr(body_at + 4), nullptr, false);
  ASSERT_TRUE(body.is_object() && body.contains("keys")) << answer;
  std::vector<std::string> names;
  for (const auto& k : body["keys"]) names.push_back(k.value("name", ""));
  EXPECT_EQ(names, std::vector<std::string>{"second"}) << answer;
}

// Runs as any uid (no fork): the key names only another uid, so this process is refused even when
// it is an admin (root is admin-uids = 0 here): admins manage keys, they do not sign outside the
// ACL. The refusal is audited and counted, and a peer allowed on a key is still refused other
// schemes.
TEST(AclAnyUid, PeerOutsideTheKeysAclIsRefusedAuditedAndCountedEvenIfAdmin) {
  const uid_t other = ::getuid() == kNobody ? kNobody - 1 : kNobody;
  TestDaemon::Options o;
  o.sections = "[key.demo]\nlabel = demo\nallow-uids = " + std::to_string(other) +
               "\nschemes = raw, jws\n[key.second]\nlabel = second\nallow-uids = " +
               std::to_string(::getuid()) + "\nschemes = raw\n";
  TestDaemon d(o);
  Client c(d.socket());
  auto res = c.post("/v1/keys/demo/sign", sign_body("x"));
  EXPECT_EQ(res.result_int(), 403u) << res.body();
  EXPECT_NE(res.body().find("may not use key 'demo'"), std::string::npos) << res.body();
  res = c.post("/v1/schemes/jws/sign", R"({"key":"demo","payload":{"a":1}})");
  EXPECT_EQ(res.result_int(), 403u) << res.body();
  // Reading a public key is an admin's right too; anyone else needs the key's ACL (a 4th denial).
  const bool admin = ::getuid() == 0;
  EXPECT_EQ(c.get("/v1/keys/demo/public-key").result_int(), admin ? 200u : 403u);
  const int expected = admin ? 3 : 4;
  res = c.post("/v1/schemes/jws/sign", R"({"key":"second","payload":{"a":1}})");
  EXPECT_EQ(res.result_int(), 403u) << res.body();
  EXPECT_NE(res.body().find("may not be used with scheme 'jws'"), std::string::npos) << res.body();
  EXPECT_EQ(c.post("/v1/keys/second/sign", sign_body("x")).result_int(), 200u);

  const std::string metrics = c.get("/metrics").body();
  EXPECT_NE(metrics.find("p11signd_denials_total{rule=\"key\"} " + std::to_string(expected)),
            std::string::npos)
      << metrics;
  d.stop();
  std::ifstream audit(d.audit_path());
  int denials = 0;
  for (std::string line; std::getline(audit, line);) {
    if (line.find("\"op\":\"deny\"") != std::string::npos) ++denials;
  }
  EXPECT_EQ(denials, expected);
}

}  // namespace
}  // namespace p11signd::daemon
