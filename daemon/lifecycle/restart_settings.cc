#include "daemon/lifecycle/restart_settings.h"

namespace p11signd::daemon {

std::vector<std::string> settings_needing_restart(const Config& running, const Config& next) {
  std::vector<std::string> names;
  const auto note = [&names](bool changed, const char* name) {
    if (changed) names.emplace_back(name);
  };
  const DaemonSettings& a = running.daemon;
  const DaemonSettings& b = next.daemon;
  note(a.socket != b.socket, "socket");
  note(a.socket_mode != b.socket_mode, "socket-mode");
  note(a.socket_gid != b.socket_gid, "socket-group");
  note(a.workers != b.workers, "workers");
  note(a.queue_limit != b.queue_limit, "queue-limit");
  note(a.spin != b.spin, "spin-us");
  note(a.max_request_bytes != b.max_request_bytes, "max-request-bytes");
  note(a.request_timeout != b.request_timeout, "request-timeout-ms");
  note(a.read_timeout != b.read_timeout, "read-timeout-ms");
  note(a.idle_timeout != b.idle_timeout, "idle-timeout-ms");
  note(a.max_connections != b.max_connections, "max-connections");
  note(a.max_connections_per_uid != b.max_connections_per_uid, "max-connections-per-uid");
  note(a.max_requests_per_uid != b.max_requests_per_uid, "max-requests-per-uid");
  note(a.audit_log != b.audit_log, "audit-log");
  note(a.audit_key != b.audit_key, "audit-key");
  note(a.audit_checkpoint_records != b.audit_checkpoint_records, "audit-checkpoint-records");
  note(a.audit_checkpoint_interval != b.audit_checkpoint_interval, "audit-checkpoint-seconds");
  const TokenSettings& t = running.token;
  const TokenSettings& u = next.token;
  note(t.module != u.module, "module");
  note(t.uri != u.uri, "uri");
  note(t.pin_file != u.pin_file, "pin-file");
  note(t.pin_credential != u.pin_credential, "pin-credential");
  note(t.max_sessions != u.max_sessions, "max-sessions");
  return names;
}

}  // namespace p11signd::daemon
