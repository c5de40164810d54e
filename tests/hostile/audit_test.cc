// The audit trail under a hostile client: a client whose process name is not UTF-8 is served and
// refused like any other, and both are audited with its name escaped (before, every request of
// such a client was a 500 with no audit line); and a real log, signed at checkpoints on the token,
// edited afterwards is caught by `p11sign audit verify`.
#include <sys/prctl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>

#include "tests/hostile/hostile_daemon.h"

namespace p11signd::hostile {
namespace {

using daemon::testing::Client;
using daemon::testing::sign_body;

// What the kernel keeps of the name: 15 bytes, here two that are never UTF-8 and a character cut
// after its second byte.
constexpr const char* kHostileName = "\xff\xfehostile\xe2\x82";
constexpr const char* kEscapedName = "\\xff\\xfehostile\\xe2\\x82";

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

TEST(HostileAudit, AClientNamedWithInvalidUtf8IsServedRefusedAndAudited) {
  HostileDaemon::Options o;
  o.token_keys = {"shop", "other"};
  o.key_sections = HostileDaemon::key_section("shop", kOtherUid) +
                   HostileDaemon::key_section("other", ::getuid());
  HostileDaemon d(o);
  // Two status digits per request: sign with its key, then with a key it may not use.
  const int statuses = run_as(kOtherUid, kOtherGid, [&] {
    prctl(PR_SET_NAME, kHostileName);
    Client c(d.socket());
    const unsigned ok = c.post("/v1/keys/shop/sign", sign_body("hello")).result_int();
    const unsigned refused = c.post("/v1/keys/other/sign", sign_body("hello")).result_int();
    return static_cast<int>(ok / 100 * 10 + refused / 100);
  });
  EXPECT_EQ(statuses, 24) << "expected 2xx then 4xx\n" << d.log();

  const auto signs = d.audit_records("sign", "ok");
  ASSERT_EQ(signs.size(), 1u) << read_all(d.audit_path());
  EXPECT_EQ(signs[0]["peer"]["comm"], kEscapedName);
  EXPECT_EQ(signs[0]["peer"]["uid"], kOtherUid);
  const auto denials = d.audit_records("deny");
  ASSERT_EQ(denials.size(), 1u) << read_all(d.audit_path());
  EXPECT_EQ(denials[0]["peer"]["comm"], kEscapedName);
  EXPECT_EQ(denials[0]["key"], "other");
  EXPECT_TRUE(d.running());
}

// An admin with such a name changes the token: the change is audited too.
TEST(HostileAudit, AnAdminNamedWithInvalidUtf8IsAudited) {
  if (::geteuid() != 0) GTEST_SKIP() << "admin-uids is 0";
  HostileDaemon d;
  const int status = run_as(0, 0, [&] {
    prctl(PR_SET_NAME, kHostileName);
    Client c(d.socket());
    return static_cast<int>(
        c.post("/v1/keys", R"({"name":"made","label":"made","bits":2048})").result_int());
  });
  EXPECT_EQ(status, 201) << d.log();
  const auto made = d.audit_records("keygen", "ok");
  ASSERT_EQ(made.size(), 1u) << read_all(d.audit_path());
  EXPECT_EQ(made[0]["peer"]["comm"], kEscapedName);
}

TEST(HostileAudit, ATamperedRealLogIsCaughtByP11signAuditVerify) {
  if (::geteuid() != 0) GTEST_SKIP() << "reading the audit key's public key needs an admin (uid 0)";
  HostileDaemon::Options o;
  o.token_keys = {"shop", "audit"};
  o.daemon_extra = "audit-key = audit\naudit-checkpoint-records = 3\n";
  o.key_sections = HostileDaemon::key_section("shop", ::getuid()) + "[key.audit]\nlabel = audit\n";
  HostileDaemon d(o);
  const std::string pem_path = d.path("audit.pem");
  {
    Client c(d.socket());
    for (int i = 0; i < 7; ++i) {
      ASSERT_EQ(c.post("/v1/keys/shop/sign", sign_body("pay " + std::to_string(i))).result_int(),
                200u);
    }
    const auto key = c.get("/v1/keys/audit/public-key?format=pem");
    ASSERT_EQ(key.result_int(), 200u) << key.body();
    std::ofstream(pem_path) << key.body();
  }  // closed: an idle keep-alive connection would hold up the drain at stop
  ASSERT_EQ(d.stop(), 0);

  const auto verify = [&](const std::string& log) {
    p11signd::testing::ChildProcess p11sign;
    p11sign.spawn({P11SIGN_BINARY, "audit", "verify", log, "--public-key", pem_path},
                  d.path("verify.out"), p11signd::testing::ChildProcess::Output::kBothToFile);
    const auto status = p11sign.wait_for_exit(std::chrono::seconds(60));
    return std::make_pair(status.value_or(-1), read_all(d.path("verify.out")));
  };
  const auto [intact, intact_out] = verify(d.audit_path());
  EXPECT_EQ(intact, 0) << intact_out;

  // Someone who can write the file turns a signature's record into a refusal.
  std::string text = read_all(d.audit_path());
  const auto at = text.find("\"result\":\"ok\"");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 13, "\"result\":\"no\"");
  const std::string tampered = d.path("tampered.log");
  std::ofstream(tampered) << text;
  const auto [status, out] = verify(tampered);
  EXPECT_EQ(status, 1) << out;
  EXPECT_NE(out.find(tampered + ":1 was changed"), std::string::npos) << out;
}

}  // namespace
}  // namespace p11signd::hostile
