#include "daemon/server/answer_claim.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace p11signd::daemon {
namespace {

using State = AnswerClaim::State;

TEST(AnswerClaim, AResultBeforeTheDeadlineWinsAndTheTimerStandsDown) {
  AnswerClaim c;
  ASSERT_TRUE(c.begin_work());
  EXPECT_TRUE(c.claim_result());
  EXPECT_TRUE(c.claim_result()) << "audited_sign and the worker both claim; the second is a no-op";
  EXPECT_FALSE(c.claim_failure());
  EXPECT_EQ(c.state(), State::kResult);
  EXPECT_FALSE(c.answered_before_work());
}

TEST(AnswerClaim, ADeadlineWhileQueuedMeansTheWorkNeverStarts) {
  AnswerClaim c;
  ASSERT_TRUE(c.claim_failure());
  EXPECT_TRUE(c.answered_before_work());
  EXPECT_FALSE(c.begin_work());
  EXPECT_FALSE(c.claim_result());
  EXPECT_FALSE(c.claim_failure()) << "one answer only";
}

TEST(AnswerClaim, ADeadlineWhileWorkingDropsTheResult) {
  AnswerClaim c;
  ASSERT_TRUE(c.begin_work());
  ASSERT_TRUE(c.claim_failure());
  EXPECT_EQ(c.state(), State::kTimedOutWorking);
  EXPECT_FALSE(c.answered_before_work()) << "the worker audits what it did";
  EXPECT_FALSE(c.claim_result());
}

// Whatever the interleaving, exactly one side wins.
TEST(AnswerClaim, ExactlyOneWinnerUnderRaces) {
  for (int round = 0; round < 2000; ++round) {
    AnswerClaim c;
    std::atomic<int> winners{0};
    std::thread worker([&] {
      if (c.begin_work() && c.claim_result()) ++winners;
    });
    std::thread timer([&] {
      if (c.claim_failure()) ++winners;
    });
    worker.join();
    timer.join();
    ASSERT_EQ(winners.load(), 1) << "round " << round;
  }
}

}  // namespace
}  // namespace p11signd::daemon
