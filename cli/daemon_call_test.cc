// The hints beside a failed connect, by where the socket path came from and why it failed.

#include "cli/daemon_call.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <sstream>

namespace p11signd::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string hint(SocketOrigin origin, int err) {
  std::ostringstream out;
  const Context ctx{"/run/x.sock", origin, std::chrono::seconds(1), out};
  return connect_hint(ctx, err);
}

TEST(ConnectHint, TheDefaultPathPointsAtTheServiceAndTheWaysToNameAnother) {
  const std::string h = hint(SocketOrigin::kDefault, ENOENT);
  EXPECT_THAT(h, HasSubstr("systemctl status p11signd"));
  EXPECT_THAT(h, HasSubstr("--socket PATH or set P11SIGN_SOCKET"));
}

TEST(ConnectHint, AChosenPathAsksWhetherADaemonListensThere) {
  EXPECT_THAT(hint(SocketOrigin::kEnvironment, ECONNREFUSED),
              HasSubstr("the path is $P11SIGN_SOCKET's"));
  EXPECT_THAT(hint(SocketOrigin::kFlag, ENOENT), HasSubstr("is a p11signd listening there"));
  EXPECT_THAT(hint(SocketOrigin::kFlag, ENOENT), Not(HasSubstr("systemctl")));
}

// Whatever the path's origin: the socket is there, the user is not in its group.
TEST(ConnectHint, PermissionDeniedNamesTheGroup) {
  for (const SocketOrigin origin :
       {SocketOrigin::kDefault, SocketOrigin::kEnvironment, SocketOrigin::kFlag}) {
    EXPECT_EQ(hint(origin, EACCES),
              "the socket is for the daemon's client group: `ls -l /run/x.sock` names it; an admin "
              "adds you (then log in again)");
  }
}

}  // namespace
}  // namespace p11signd::cli
