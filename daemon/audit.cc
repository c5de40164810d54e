#include "daemon/audit.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

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

bool AuditLog::write(const AuditRecord& record) {
  const std::string line = audit_json(record).dump() + "\n";
  std::lock_guard lock(mu_);
  // A failed log is re-opened by the next line of any kind, so denials and verifications are not
  // dropped while nobody signs (signing re-opens it through try_recover() too).
  if (!failure_.empty() && !reopen_locked()) return false;
  return write_line_locked(line);
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

// A log that had failed says so in the first line of the re-opened file.
bool AuditLog::reopen_locked() {
  const std::string previous = failure_;
  failure_.clear();
  open_locked();
  if (!failure_.empty()) return false;
  if (previous.empty()) return true;
  nlohmann::ordered_json j{{"time", now_iso8601()}, {"op", "audit-recovered"}, {"after", previous}};
  return write_line_locked(j.dump() + "\n");
}

}  // namespace p11signd::daemon
