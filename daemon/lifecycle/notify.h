#pragma once
// sd_notify(3) messages for Type=notify units. Every call is a no-op when NOTIFY_SOCKET is unset,
// so the daemon behaves the same outside systemd.

#include <chrono>
#include <optional>
#include <string>

namespace p11signd::daemon::notify {

void ready(const std::string& status);
void status(const std::string& status);
void reloading();
void stopping();
void watchdog();
// The WatchdogSec= interval when the service manager expects pings.
std::optional<std::chrono::microseconds> watchdog_interval();

}  // namespace p11signd::daemon::notify
