#pragma once
// An HSM's crypto engines: at most `capacity` calls inside at once, the others wait their turn in
// the order they came (first come, first served). libp11faulty puts one in front of a function the
// control file names with `engines FUNCTION N`.
//
// Why the emulated slow token needs it: SoftHSM does its arithmetic on the host's CPU, where the
// scheduler shares the cores among every thread signing at once. Thirty-two signatures started
// together then finish together and sleep their added delay together, leaving the cores idle in
// between - a network HSM queues its requests for its engines instead and never falls into step.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>

namespace p11faulty {

class EngineQueue {
 public:
  // 0: no limit.
  void set_capacity(std::size_t capacity);
  void acquire();
  void release();
  // For tests: calls waiting for an engine now.
  std::size_t waiting() const;

 private:
  struct Waiter {
    std::condition_variable cv;
    bool granted = false;
  };
  mutable std::mutex mu_;
  std::size_t capacity_ = 0;
  std::size_t inside_ = 0;
  std::deque<Waiter*> waiters_;  // in arrival order
};

// Holds an engine for one call; a null queue is no limit.
class EngineTurn {
 public:
  explicit EngineTurn(EngineQueue* queue) : queue_(queue) {
    if (queue_) queue_->acquire();
  }
  ~EngineTurn() {
    if (queue_) queue_->release();
  }
  EngineTurn(const EngineTurn&) = delete;
  EngineTurn& operator=(const EngineTurn&) = delete;

 private:
  EngineQueue* queue_;
};

}  // namespace p11faulty
