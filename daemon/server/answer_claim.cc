#include "daemon/server/answer_claim.h"

namespace p11signd::daemon {

bool AnswerClaim::begin_work() {
  State expected = State::kQueued;
  return state_.compare_exchange_strong(expected, State::kWorking);
}

bool AnswerClaim::claim_result() {
  State expected = State::kWorking;
  if (state_.compare_exchange_strong(expected, State::kResult)) return true;
  return expected == State::kResult;
}

bool AnswerClaim::claim_failure() {
  State current = state_.load();
  for (;;) {
    State next;
    switch (current) {
      case State::kQueued:
        next = State::kTimedOutQueued;
        break;
      case State::kWorking:
        next = State::kTimedOutWorking;
        break;
      default:  // a result, or a failure, already answered
        return false;
    }
    if (state_.compare_exchange_weak(current, next)) return true;
  }
}

}  // namespace p11signd::daemon
