#pragma once
// The signed checkpoints that make the audit chain tamper-evident: on a thread of its own, every
// `audit-checkpoint-records` records or `audit-checkpoint-seconds` (whichever comes first, and only
// when records followed the last checkpoint), and once more when the daemon stops, the chain's
// last line is signed by the audit key and the signature appended as a checkpoint record
// (common/audit_chain.h). Signing goes through an injected CheckpointSigner - the daemon's is a
// SigningSession of its KeyStore - so the token layer knows nothing of the audit log. Without an
// audit key the checkpoints are written unsigned: the chain still shows lines edited by someone
// who did not recompute it, but nothing shows a log rewritten whole.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/bytes.h"
#include "daemon/keystore/keystore.h"
#include "daemon/observability/audit.h"

namespace p11signd::daemon {

struct CheckpointSignature {
  std::string key;  // the configured name of the audit key
  SignAlg alg = SignAlg::kRsaPkcs1Sha256;
  Bytes signature;
  Bytes spki_der;  // the audit key's public key, so a verifier can name the key it checked
};

// Signs message with the audit key; throws (StoreError) when it cannot.
using CheckpointSigner = std::function<CheckpointSignature(const std::string& message)>;

// A signer on a session of store's own, opened at the first checkpoint and replaced after a
// failure. Called from one thread at a time (the checkpoint thread).
CheckpointSigner store_checkpoint_signer(KeyStore& store, std::string key);

struct CheckpointSchedule {
  std::uint64_t every_records = 1000;  // 0: not by count
  std::chrono::seconds every{60};      // 0: not by time
};

class AuditCheckpoints {
 public:
  // sign null: checkpoints are written unsigned.
  AuditCheckpoints(AuditLog& log, CheckpointSchedule schedule, CheckpointSigner sign);
  // Destroy it only once nothing writes to the log any more: a writer calls back into it.
  ~AuditCheckpoints();
  AuditCheckpoints(const AuditCheckpoints&) = delete;
  AuditCheckpoints& operator=(const AuditCheckpoints&) = delete;

  // Writes the last checkpoint and ends the thread. False when it did not end within grace (a
  // token call that hangs): the thread still runs, and the process must exit without destroying
  // this (std::_Exit), as for a hung worker.
  bool stop_within(std::chrono::milliseconds grace);

 private:
  void run();
  void checkpoint();

  AuditLog& log_;
  const CheckpointSchedule schedule_;
  CheckpointSigner sign_;
  std::uint64_t covered_records_ = 0;  // the records count the last checkpoint covered
  std::mutex mu_;
  std::condition_variable cv_;
  bool due_ = false;
  bool stopping_ = false;
  bool finished_ = false;
  std::thread thread_;
};

}  // namespace p11signd::daemon
