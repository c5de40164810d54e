#pragma once
// The audit trail: one JSON line per sign, verify and admin operation, and per denial. Never the
// PIN, never the data (only its SHA-256). Writing is fail-closed: when a line cannot be written the
// log turns unhealthy, callers refuse to sign, and health says why, until a later write (a re-open)
// succeeds. Every line is chained to the one before it (common/audit_chain.h); the signed
// checkpoints that make the chain tamper-evident are written by AuditCheckpoints.

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/audit_chain.h"
#include "daemon/access/acl.h"
#include "daemon/observability/audit_tail.h"

namespace p11signd::daemon {

struct AuditRecord {
  // "sign", "verify", "keygen", "import", "certificate", "csr", "deny", and the version
  // operations "rotate", "activate", "retire", "destroy", "version-settings"
  std::string op;
  const Peer* peer = nullptr;
  std::string key;
  std::optional<unsigned> key_version;  // the version that signed, matched or was operated on
  std::string scheme;                   // "raw" or a scheme name
  std::string alg;
  std::string data_sha256;  // hex SHA-256 of the bytes signed or verified
  std::string result;       // "ok", "invalid", "denied", "error: ..."
  std::chrono::microseconds latency{0};
};

// Where the chain stands: its last line, and how many records (checkpoints not counted) this
// process has written.
struct AuditPosition {
  audit::ChainHead head;
  std::uint64_t records = 0;
};

class AuditLog {
 public:
  // path "-" is standard error (journald under systemd). An existing file's chain is continued from
  // its last line.
  explicit AuditLog(std::string path);
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // True when the line was written whole. Never throws, whatever the record holds.
  bool write(const AuditRecord& record) noexcept;
  // A checkpoint record: "time" and "op" and the chain fields are added to fields.
  bool write_checkpoint(const nlohmann::ordered_json& fields) noexcept;
  AuditPosition position() const;
  // Called after each record (not checkpoints) with the new count, outside the log's lock.
  void set_record_observer(std::function<void(std::uint64_t records)> observer);

  bool healthy() const;
  std::string failure() const;  // why it is not healthy
  // When unhealthy: re-opens the file and writes a marker line; true when the log works again.
  bool try_recover();
  // Closes the file and opens its path again (log rotation: logrotate renames the file, then
  // `systemctl reload` sends SIGHUP). The new file's first line links to the last line written
  // before. Standard error is left alone. Fail-closed: when the path cannot be opened the log turns
  // unhealthy and signing stops until a re-open succeeds.
  bool reopen();

 private:
  bool append(const std::string& body, bool is_record) noexcept;
  bool append_locked(const std::string& body);
  bool write_line_locked(const std::string& line);
  void open_locked();
  void continue_chain_locked();
  void end_torn_line_locked(const FileTail& tail);
  bool reopen_locked();

  const std::string path_;
  mutable std::mutex mu_;
  int fd_ = -1;
  std::string failure_;
  audit::ChainHead head_;
  std::uint64_t records_ = 0;
  std::function<void(std::uint64_t)> observer_;
};

nlohmann::ordered_json audit_json(const AuditRecord& record);

}  // namespace p11signd::daemon
