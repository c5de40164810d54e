#pragma once
// One answer per request, decided without the event loop: a worker's result and the deadline's 504
// race, and whichever claims first is what the client gets. Shared by the deadline timer (event
// loop), the worker, and audited_sign, which claims before it writes "ok" so that the audit log
// never says a signature was released when the client got a 504.

#include <atomic>

namespace p11signd::daemon {

class AnswerClaim {
 public:
  enum class State {
    kQueued,           // not yet picked up by a worker
    kWorking,          // a worker runs it (the token may be signing)
    kResult,           // the worker's answer won; it is on its way
    kTimedOutQueued,   // answered 504/503 before any work began
    kTimedOutWorking,  // answered 504 while the worker was still busy; its result is dropped
  };

  // The worker, before it does anything: false when the request was already answered.
  bool begin_work();
  // The worker (or audited_sign) with a result in hand: false when the deadline answered first.
  // Idempotent once won.
  bool claim_result();
  // The deadline timer, or a worker that cannot start the work (deadline passed in the queue, no
  // session): false when the worker's result already won.
  bool claim_failure();
  // True when the request was answered without its work ever starting: nobody else will audit it.
  bool answered_before_work() const { return state() == State::kTimedOutQueued; }
  State state() const { return state_.load(); }

 private:
  std::atomic<State> state_{State::kQueued};
};

}  // namespace p11signd::daemon
