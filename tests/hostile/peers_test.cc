// Only allowed peers: a uid the key does not name is refused, and the refusal is audited with the
// peer's identity; the allowed uid signs. The baseline every other hostile scenario builds on.
#include <unistd.h>

#include <gtest/gtest.h>

#include "tests/hostile/hostile_daemon.h"

namespace p11signd::hostile {
namespace {

using daemon::testing::Client;
using daemon::testing::sign_body;

TEST(HostilePeers, AnotherUidIsRefusedAndTheRefusalIsAudited) {
  HostileDaemon d;
  Client mine(d.socket());
  EXPECT_EQ(mine.post("/v1/keys/shop/sign", sign_body("hello")).result_int(), 200u);

  const int status = run_as(kOtherUid, kOtherGid, [&] {
    Client other(d.socket());
    return static_cast<int>(other.post("/v1/keys/shop/sign", sign_body("hello")).result_int() /
                            100);
  });
  EXPECT_EQ(status, 4) << "the other uid was not refused with a 4xx";

  const auto denials = d.audit_records("deny");
  ASSERT_EQ(denials.size(), 1u);
  EXPECT_EQ(denials[0]["peer"]["uid"], kOtherUid);
  EXPECT_EQ(denials[0]["key"], "shop");
  EXPECT_EQ(d.audit_records("sign", "ok").size(), 1u);
  EXPECT_TRUE(d.running());
}

}  // namespace
}  // namespace p11signd::hostile
