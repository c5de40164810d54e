// systemd/p11signd.conf.example must stay a configuration the daemon accepts: parsed with the
// daemon's own parser, it has to come back without a single problem.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "daemon/config/config.h"

namespace p11signd::cli {
namespace {

TEST(ConfigExample, TheDaemonAcceptsIt) {
  std::ifstream file(P11SIGND_CONFIG_EXAMPLE);
  ASSERT_TRUE(file) << P11SIGND_CONFIG_EXAMPLE;
  std::stringstream text;
  text << file.rdbuf();
  const daemon::ConfigResult result =
      daemon::parse_config_text(text.str(), P11SIGND_CONFIG_EXAMPLE);
  for (const std::string& problem : result.problems) ADD_FAILURE() << problem;
  EXPECT_EQ(result.config.token.pin_credential, "pin");
  EXPECT_EQ(result.config.daemon.socket, "/run/p11signd/p11signd.sock");
  EXPECT_EQ(result.config.keys.count("mypos-store1"), 1u);
}

}  // namespace
}  // namespace p11signd::cli
