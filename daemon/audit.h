#pragma once
// The audit trail: one JSON line per sign, verify and admin operation, and per denial. Never the
// PIN, never the data (only its SHA-256). Writing is fail-closed: when a line cannot be written the
// log turns unhealthy, callers refuse to sign, and health says why, until a later write (a re-open)
// succeeds.

#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "daemon/acl.h"

namespace p11signd::daemon {

struct AuditRecord {
  std::string op;  // "sign", "verify", "keygen", "import", "certificate", "csr", "deny"
  const Peer* peer = nullptr;
  std::string key;
  std::string scheme;  // "raw" or a scheme name
  std::string alg;
  std::string data_sha256;  // hex SHA-256 of the bytes signed or verified
  std::string result;       // "ok", "invalid", "denied", "error: ..."
  std::chrono::microseconds latency{0};
};

class AuditLog {
 public:
  // path "-" is standard error (journald under systemd).
  explicit AuditLog(std::string path);
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // True when the line was written whole.
  bool write(const AuditRecord& record);
  bool healthy() const;
  std::string failure() const;  // why it is not healthy
  // When unhealthy: re-opens the file and writes a marker line; true when the log works again.
  bool try_recover();
  // Closes the file and opens its path again (log rotation: logrotate renames the file, then
  // `systemctl reload` sends SIGHUP). Standard error is left alone. Fail-closed: when the path
  // cannot be opened the log turns unhealthy and signing stops until a re-open succeeds.
  bool reopen();

 private:
  bool write_line_locked(const std::string& line);
  void open_locked();
  bool reopen_locked();

  const std::string path_;
  mutable std::mutex mu_;
  int fd_ = -1;
  std::string failure_;
};

nlohmann::ordered_json audit_json(const AuditRecord& record);

}  // namespace p11signd::daemon
