#include "tests/faulty_module/engine_queue.h"

namespace p11faulty {

void EngineQueue::set_capacity(std::size_t capacity) {
  std::lock_guard lock(mu_);
  capacity_ = capacity;
  // A larger (or no) limit lets waiting calls in at once, oldest first.
  while (!waiters_.empty() && (capacity_ == 0 || inside_ < capacity_)) {
    Waiter* next = waiters_.front();
    waiters_.pop_front();
    ++inside_;
    next->granted = true;
    next->cv.notify_one();
  }
}

void EngineQueue::acquire() {
  std::unique_lock lock(mu_);
  if (waiters_.empty() && (capacity_ == 0 || inside_ < capacity_)) {
    ++inside_;
    return;
  }
  Waiter me;
  waiters_.push_back(&me);
  me.cv.wait(lock, [&me] { return me.granted; });
}

// The engine goes straight to the oldest waiter: nobody arriving meanwhile can take it first.
void EngineQueue::release() {
  std::lock_guard lock(mu_);
  if (!waiters_.empty() && (capacity_ == 0 || inside_ <= capacity_)) {
    Waiter* next = waiters_.front();
    waiters_.pop_front();
    next->granted = true;
    next->cv.notify_one();
    return;
  }
  --inside_;
}

std::size_t EngineQueue::waiting() const {
  std::lock_guard lock(mu_);
  return waiters_.size();
}

}  // namespace p11faulty
