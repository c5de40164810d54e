#pragma once
// What a reload (SIGHUP) cannot apply. Keys, peers, access rules, admin-uids/admin-groups and
// health-key take effect at once; the settings named here are read only at start (the socket, the
// worker pool, the limits the server was built with, the audit file's path, the token), so a reload
// that changes them says so instead of ignoring them silently.

#include <string>
#include <vector>

#include "daemon/config/config.h"

namespace p11signd::daemon {

// The names, as written in the file, of the start-only settings that differ between the
// configuration running and the one being loaded.
std::vector<std::string> settings_needing_restart(const Config& running, const Config& next);

}  // namespace p11signd::daemon
