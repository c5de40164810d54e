#pragma once
// A fixed set of worker threads, each owning one SigningSession (PKCS#11 sessions belong to one
// thread at a time), fed by a bounded queue. A full queue refuses at once (the caller answers 503 +
// Retry-After) rather than letting latency grow without bound. A session that failed is dropped and
// a new one opened for the next job, so a broken session never stays in service.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "daemon/keystore/keystore.h"

namespace p11signd::daemon {

struct Job {
  // Runs on a worker with its session; returns false when the session should be dropped.
  std::function<bool(SigningSession&)> run;
  // Called instead of run when no session can be opened (reason says why) or the deadline passed.
  std::function<void(const std::string& reason, bool expired)> fail;
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
};

class WorkerPool {
 public:
  // spin: how long an idle worker polls the queue before it sleeps (daemon/server/spin.h).
  WorkerPool(KeyStore& store, unsigned workers, std::size_t queue_limit,
             std::chrono::microseconds spin = {});
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // False when the queue is full or the pool is stopping; the job is then not run.
  bool submit(Job job);
  // Lets the queue run empty, then joins the workers. Idempotent.
  void stop();
  // As stop(), but gives up after grace when a worker is stuck in a token call (PKCS#11 calls can
  // hang). Returns false then: the stuck threads are detached and still use the pool, so the
  // process must exit without destroying it (std::_Exit).
  bool stop_within(std::chrono::milliseconds grace);

  std::size_t queue_depth() const;
  unsigned busy() const;
  unsigned size() const { return static_cast<unsigned>(threads_.size()); }
  // For the systemd watchdog: false when jobs are waiting or running, none finished within
  // `window`, and no running job is still inside its own deadline (key generation may rightly take
  // longer than the watchdog's window; a token call past its deadline is hung).
  bool making_progress(std::chrono::steady_clock::duration window) const;

 private:
  void work();
  void run_one(Job& job, std::unique_ptr<SigningSession>& session);

  KeyStore& store_;
  const std::size_t queue_limit_;
  const std::chrono::microseconds spin_;
  std::atomic<std::size_t> queued_{0};  // queue_.size(), readable without mu_ while spinning
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable exited_cv_;
  std::size_t exited_ = 0;
  std::deque<Job> queue_;
  bool stopping_ = false;
  unsigned busy_ = 0;
  std::multiset<std::chrono::steady_clock::time_point> running_deadlines_;
  std::chrono::steady_clock::time_point last_done_ = std::chrono::steady_clock::now();
  std::vector<std::thread> threads_;
};

}  // namespace p11signd::daemon
