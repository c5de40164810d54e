#include "daemon/server/spin.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace p11signd::daemon {
namespace {

using std::chrono::microseconds;

TEST(SpinUntil, ZeroSpinPollsOnceAndNeverWaits) {
  int polls = 0;
  EXPECT_FALSE(spin_until([&] { return ++polls > 1; }, microseconds(0)));
  EXPECT_EQ(polls, 1);
  EXPECT_TRUE(spin_until([] { return true; }, microseconds(0)));
}

TEST(SpinUntil, GivesUpAfterTheSpinAndSaysNothingCame) {
  int polls = 0;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(spin_until([&] { return ++polls < 0; }, microseconds(2000)));
  EXPECT_GE(std::chrono::steady_clock::now() - start, microseconds(2000));
  EXPECT_GT(polls, 1);
}

TEST(SpinUntil, SeesWorkThatArrivesWhileItPolls) {
  std::atomic<bool> work{false};
  std::thread producer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    work = true;
  });
  // Generous: the producer only has to run once within 10 s, even on a loaded machine.
  EXPECT_TRUE(spin_until([&] { return work.load(); }, microseconds(10'000'000)));
  producer.join();
}

}  // namespace
}  // namespace p11signd::daemon
