#include "daemon/observability/audit.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "daemon/observability/audit_tail.h"
#include "daemon/routes/json_text.h"

namespace p11signd::daemon {
namespace {

std::string now_iso8601() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms));
  return out;
}

}  // namespace

nlohmann::ordered_json audit_json(const AuditRecord& r) {
  nlohmann::ordered_json j;
  j["time"] = now_iso8601();
  j["op"] = r.op;
  if (r.peer) {
    j["peer"] = {{"uid", r.peer->uid},
                 {"gid", r.peer->gid},
                 {"pid", r.peer->pid},
                 {"exe", r.peer->exe},
                 {"comm", r.peer->comm}};
  }
  if (!r.key.empty()) j["key"] = r.key;
  if (r.key_version) j["key_version"] = *r.key_version;
  if (!r.scheme.empty()) j["scheme"] = r.scheme;
  if (!r.alg.empty()) j["alg"] = r.alg;
  if (!r.data_sha256.empty()) j["data_sha256"] = r.data_sha256;
  j["result"] = r.result;
  j["latency_us"] = r.latency.count();
  return j;
}

AuditLog::AuditLog(std::string path) : path_(std::move(path)) {
  std::lock_guard lock(mu_);
  open_locked();
  continue_chain_locked();
}

AuditLog::~AuditLog() {
  if (fd_ > 2) close(fd_);
}

void AuditLog::open_locked() {
  if (path_ == "-") {
    fd_ = STDERR_FILENO;
    return;
  }
  if (fd_ > 2) close(fd_);
  fd_ = open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd_ < 0) failure_ = "cannot open audit log " + path_ + ": " + std::strerror(errno);
}

// At start: the chain goes on from the file's last line when that is a chained record; otherwise
// (a new file, an older log, a line cut short) a new chain starts.
void AuditLog::continue_chain_locked() {
  if (fd_ < 0 || path_ == "-") return;
  const FileTail tail = read_tail(path_);
  if (tail.empty) return;
  if (tail.ends_with_newline) {
    if (auto head = audit::head_of_line(tail.last_line)) head_ = *head;
  }
  end_torn_line_locked(tail);
}

// A line left without its newline (a write cut short) stays a line of its own, named by `p11sign
// audit verify`, rather than run into the next record.
void AuditLog::end_torn_line_locked(const FileTail& tail) {
  if (!tail.empty && !tail.ends_with_newline) write_line_locked("\n");
}

bool AuditLog::write_line_locked(const std::string& line) {
  if (fd_ < 0) return false;
  // One write(2) per line: with O_APPEND lines from several threads never interleave.
  const ssize_t n = ::write(fd_, line.data(), line.size());
  if (n != static_cast<ssize_t>(line.size())) {
    failure_ = "cannot write audit log " + path_ + ": " +
               (n < 0 ? std::strerror(errno) : std::string("short write"));
    return false;
  }
  return true;
}

// The chain advances only over lines written whole.
bool AuditLog::append_locked(const std::string& body) {
  const std::string line = audit::chain_line(body, head_);
  if (!write_line_locked(line + "\n")) return false;
  head_ = audit::head_after(line, head_.seq + 1);
  return true;
}

bool AuditLog::append(const std::string& body, bool is_record) noexcept {
  try {
    std::function<void(std::uint64_t)> observer;
    std::uint64_t records = 0;
    {
      std::lock_guard lock(mu_);
      // A failed log is re-opened by the next line of any kind, so denials and verifications are
      // not dropped while nobody signs (signing re-opens it through try_recover() too).
      if (!failure_.empty() && !reopen_locked()) return false;
      if (!append_locked(body)) return false;
      if (!is_record) return true;
      records = ++records_;
      observer = observer_;
    }
    if (observer) observer(records);
    return true;
  } catch (const std::exception&) {
    return false;  // out of memory: the line was not written, and the caller fails closed
  }
}

bool AuditLog::write(const AuditRecord& record) noexcept {
  try {
    return append(dump_json(audit_json(record)), true);
  } catch (const std::exception&) {
    return false;
  }
}

bool AuditLog::write_checkpoint(const nlohmann::ordered_json& fields) noexcept {
  try {
    nlohmann::ordered_json j{{"time", now_iso8601()}, {"op", audit::kCheckpointOp}};
    for (const auto& [name, value] : fields.items()) j[name] = value;
    return append(dump_json(j), false);
  } catch (const std::exception&) {
    return false;
  }
}

AuditPosition AuditLog::position() const {
  std::lock_guard lock(mu_);
  return {head_, records_};
}

void AuditLog::set_record_observer(std::function<void(std::uint64_t)> observer) {
  std::lock_guard lock(mu_);
  observer_ = std::move(observer);
}

bool AuditLog::healthy() const {
  std::lock_guard lock(mu_);
  return failure_.empty();
}

std::string AuditLog::failure() const {
  std::lock_guard lock(mu_);
  return failure_;
}

bool AuditLog::try_recover() {
  std::lock_guard lock(mu_);
  if (failure_.empty()) return true;
  return reopen_locked();
}

bool AuditLog::reopen() {
  std::lock_guard lock(mu_);
  if (path_ == "-") return failure_.empty();
  return reopen_locked();
}

// A log that had failed says so in the first line of the re-opened file. The chain's head stays
// the last line written, wherever that went: a new file links to the old one, and lines cut from
// the end of a file show as missing before the next record.
bool AuditLog::reopen_locked() {
  const std::string previous = failure_;
  failure_.clear();
  open_locked();
  if (!failure_.empty()) return false;
  if (path_ != "-") end_torn_line_locked(read_tail(path_));
  if (!failure_.empty()) return false;
  if (previous.empty()) return true;
  nlohmann::ordered_json j{{"time", now_iso8601()}, {"op", "audit-recovered"}, {"after", previous}};
  return append_locked(dump_json(j));
}

}  // namespace p11signd::daemon
