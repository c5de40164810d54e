#include "daemon/server/worker_pool.h"

#include "daemon/server/spin.h"

namespace p11signd::daemon {

WorkerPool::WorkerPool(KeyStore& store, unsigned workers, std::size_t queue_limit,
                       std::chrono::microseconds spin)
    : store_(store), queue_limit_(queue_limit), spin_(spin) {
  for (unsigned i = 0; i < std::max(1u, workers); ++i) threads_.emplace_back([this] { work(); });
}

WorkerPool::~WorkerPool() { stop(); }

bool WorkerPool::submit(Job job) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || queue_.size() >= queue_limit_) return false;
    queue_.push_back(std::move(job));
    queued_ = queue_.size();
  }
  cv_.notify_one();
  return true;
}

void WorkerPool::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

bool WorkerPool::stop_within(std::chrono::milliseconds grace) {
  std::unique_lock lock(mu_);
  stopping_ = true;
  cv_.notify_all();
  const std::size_t n = threads_.size();
  if (!exited_cv_.wait_for(lock, grace, [&] { return exited_ == n; })) {
    for (auto& t : threads_) t.detach();
    threads_.clear();
    return false;
  }
  lock.unlock();
  stop();  // every worker has left its loop: this only joins
  return true;
}

std::size_t WorkerPool::queue_depth() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

unsigned WorkerPool::busy() const {
  std::lock_guard lock(mu_);
  return busy_;
}

bool WorkerPool::making_progress(std::chrono::steady_clock::duration window) const {
  std::lock_guard lock(mu_);
  if (queue_.empty() && busy_ == 0) return true;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_done_ < window) return true;
  return !running_deadlines_.empty() && *running_deadlines_.rbegin() > now;
}

void WorkerPool::run_one(Job& job, std::unique_ptr<SigningSession>& session) {
  if (std::chrono::steady_clock::now() >= job.deadline) {
    job.fail("the request waited past its deadline", /*expired=*/true);
    return;
  }
  if (!session) {
    try {
      session = store_.open_session();
    } catch (const std::exception& e) {
      job.fail(e.what(), false);
      return;
    }
  }
  if (!job.run(*session)) session.reset();
}

void WorkerPool::work() {
  std::unique_ptr<SigningSession> session;
  for (;;) {
    Job job;
    std::multiset<std::chrono::steady_clock::time_point>::iterator running;
    spin_until([this] { return queued_.load(std::memory_order_relaxed) > 0; }, spin_);
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) {  // stopping and drained
        ++exited_;
        exited_cv_.notify_all();
        return;
      }
      job = std::move(queue_.front());
      queue_.pop_front();
      queued_ = queue_.size();
      ++busy_;
      running = running_deadlines_.insert(job.deadline);
    }
    run_one(job, session);
    std::lock_guard lock(mu_);
    --busy_;
    running_deadlines_.erase(running);
    last_done_ = std::chrono::steady_clock::now();
  }
}

}  // namespace p11signd::daemon
