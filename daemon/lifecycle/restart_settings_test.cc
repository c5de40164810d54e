#include "daemon/lifecycle/restart_settings.h"

#include <gtest/gtest.h>

namespace p11signd::daemon {
namespace {

using Names = std::vector<std::string>;

TEST(RestartSettings, NothingWhenOnlyReloadableSettingsChange) {
  Config running;
  Config next = running;
  next.daemon.admin_uids = {0, 1000};
  next.daemon.health_key = "demo";
  next.keys["demo"] = KeyConfig{};
  EXPECT_EQ(settings_needing_restart(running, next), Names{});
}

TEST(RestartSettings, NamesEveryStartOnlySettingThatChanged) {
  Config running;
  Config next = running;
  next.daemon.socket_mode = 0600;
  next.daemon.socket_gid = 65534;
  next.daemon.queue_limit = 16;
  next.daemon.request_timeout = std::chrono::milliseconds(100);
  next.daemon.audit_log = "/var/log/p11signd/audit.log";
  next.token.pin_file = "/etc/p11signd/other-pin";
  EXPECT_EQ(settings_needing_restart(running, next),
            (Names{"socket-mode", "socket-group", "queue-limit", "request-timeout-ms", "audit-log",
                   "pin-file"}));
}

}  // namespace
}  // namespace p11signd::daemon
