#include "daemon/lifecycle/notify.h"

#include <systemd/sd-daemon.h>

#include <cstdint>

namespace p11signd::daemon::notify {

void ready(const std::string& s) { sd_notify(0, ("READY=1\nSTATUS=" + s).c_str()); }
void status(const std::string& s) { sd_notify(0, ("STATUS=" + s).c_str()); }
void reloading() { sd_notify(0, "RELOADING=1\nSTATUS=reloading the configuration"); }
void stopping() { sd_notify(0, "STOPPING=1\nSTATUS=draining requests in flight"); }
void watchdog() { sd_notify(0, "WATCHDOG=1"); }

std::optional<std::chrono::microseconds> watchdog_interval() {
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
  return std::chrono::microseconds(usec);
}

}  // namespace p11signd::daemon::notify
