#pragma once
// What p11signd does when it cannot start for a reason a restart will not fix (exit 78: the token
// refused the PIN, a configured key is missing, the file is broken) while systemd passed it the
// listening socket. Exiting would not stop anything: the socket unit starts the service again at
// once for the client still waiting, up to StartLimitBurst times within seconds, and every start
// logs in again with the PIN the token just refused (a PIV token locks after three). So the daemon
// stays up and answers every request 503 `not_started` with the reason, until it is stopped; the
// operator fixes the cause and restarts the service.

#include <string>

namespace p11signd::daemon {

// True when systemd passed listening sockets (LISTEN_FDS for this process); the environment is
// left as it is.
bool started_by_socket_activation();

// Adopts the socket systemd passed and answers every request with the reason until SIGTERM or
// SIGINT (SIGHUP, a reload, changes nothing); reports READY=1 with the reason as STATUS= and keeps
// the watchdog fed. Call it with the token closed. Returns 78, the exit status of a failed start,
// also when there is no socket to adopt after all.
int serve_refusals(const std::string& reason);

}  // namespace p11signd::daemon
