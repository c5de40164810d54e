#include "daemon/observability/audit_checkpoints.h"

#include "common/encoding.h"

namespace p11signd::daemon {

// Checkpoints are signed with the audit key type's own algorithm (ECDSA as raw r||s, which the
// verifier reads by default).
CheckpointSigner store_checkpoint_signer(KeyStore& store, std::string key) {
  auto session = std::make_shared<std::unique_ptr<SigningSession>>();
  return [&store, key = std::move(key), session](const std::string& message) {
    const auto info = store.key(key);
    if (!info) throw StoreError(StoreErrorKind::kNotFound, "audit key '" + key + "' is not loaded");
    if (!*session) *session = store.open_session();
    CheckpointSignature out{key, default_sign_alg(info->type), {}, info->spki_der};
    try {
      out.signature = (*session)->sign(key, SignRequest{out.alg}, as_bytes(message));
    } catch (...) {
      session->reset();  // a session that failed is not used again (as WorkerPool does)
      throw;
    }
    return out;
  };
}

AuditCheckpoints::AuditCheckpoints(AuditLog& log, CheckpointSchedule schedule,
                                   CheckpointSigner sign)
    : log_(log), schedule_(schedule), sign_(std::move(sign)) {
  covered_records_ = log_.position().records;
  if (schedule_.every_records > 0) {
    log_.set_record_observer([this](std::uint64_t records) {
      if (records % schedule_.every_records != 0) return;
      std::lock_guard lock(mu_);
      due_ = true;
      cv_.notify_one();
    });
  }
  thread_ = std::thread([this] { run(); });
}

AuditCheckpoints::~AuditCheckpoints() {
  log_.set_record_observer(nullptr);
  stop_within(std::chrono::milliseconds::max());
}

bool AuditCheckpoints::stop_within(std::chrono::milliseconds grace) {
  std::unique_lock lock(mu_);
  stopping_ = true;
  cv_.notify_all();
  const bool ended = grace == std::chrono::milliseconds::max()
                         ? (cv_.wait(lock, [this] { return finished_; }), true)
                         : cv_.wait_for(lock, grace, [this] { return finished_; });
  lock.unlock();
  if (ended && thread_.joinable()) thread_.join();
  return ended;
}

void AuditCheckpoints::run() {
  std::unique_lock lock(mu_);
  const auto wake = [this] { return due_ || stopping_; };
  while (!stopping_) {
    if (schedule_.every.count() > 0) {
      cv_.wait_for(lock, schedule_.every, wake);
    } else {
      cv_.wait(lock, wake);
    }
    if (stopping_) break;
    due_ = false;
    lock.unlock();
    checkpoint();
    lock.lock();
  }
  lock.unlock();
  checkpoint();  // the last records before the daemon stops are covered too
  lock.lock();
  finished_ = true;
  cv_.notify_all();
}

void AuditCheckpoints::checkpoint() {
  const AuditPosition at = log_.position();
  if (at.records == covered_records_) return;  // nothing new since the last checkpoint
  nlohmann::ordered_json fields{{"covers_seq", at.head.seq}, {"covers_sha256", at.head.sha256}};
  if (!sign_) {
    fields["unsigned"] = "no [daemon] audit-key is configured";
  } else {
    try {
      const CheckpointSignature s = sign_(audit::checkpoint_message(at.head.seq, at.head.sha256));
      fields["key"] = s.key;
      fields["alg"] = std::string(to_string(s.alg));
      fields["public_key"] = base64_encode(s.spki_der);
      fields["signature"] = base64_encode(s.signature);
    } catch (const std::exception& e) {
      // Not fatal: the chain still holds, and the next checkpoint covers these records too.
      fields["error"] = std::string("cannot sign the checkpoint: ") + e.what();
      log_.write_checkpoint(fields);
      return;
    }
  }
  if (log_.write_checkpoint(fields)) covered_records_ = at.records;
}

}  // namespace p11signd::daemon
