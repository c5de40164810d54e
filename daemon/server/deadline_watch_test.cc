#include "daemon/server/deadline_watch.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <thread>
#include <vector>

namespace p11signd::daemon {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Runs the loop until done() or a generous bound (a missed deadline fails the test, it never
// hangs).
template <typename Done>
void run_until(boost::asio::io_context& io, Done done) {
  const auto bound = Clock::now() + std::chrono::seconds(10);
  while (!done() && Clock::now() < bound) io.run_for(milliseconds(5));
}

TEST(DeadlineWatch, RunsTheExpiryOnceTheDeadlinePassed) {
  boost::asio::io_context io;
  DeadlineWatch watch(io.get_executor());
  const auto deadline = Clock::now() + milliseconds(30);
  Clock::time_point ran{};
  watch.watch(deadline, [&] { ran = Clock::now(); });
  EXPECT_EQ(watch.size(), 1u);
  run_until(io, [&] { return ran != Clock::time_point{}; });
  EXPECT_GE(ran, deadline);
  EXPECT_EQ(watch.size(), 0u);
}

// A request whose expiry throws (its audit line or its answer failed) must not keep the requests
// due at the same moment from their 504, nor the watch from firing again.
TEST(DeadlineWatch, AnExpiryThatThrowsCostsNoOtherItsTurn) {
  boost::asio::io_context io;
  DeadlineWatch watch(io.get_executor());
  const auto same = Clock::now() + milliseconds(20);
  int ran = 0;
  watch.watch(same, [&] {
    ++ran;
    throw std::runtime_error("audit line failed");
  });
  watch.watch(same, [&] { ++ran; });
  watch.watch(Clock::now() + milliseconds(60), [&] { ++ran; });
  run_until(io, [&] { return ran == 3; });
  EXPECT_EQ(ran, 3);
  EXPECT_EQ(watch.size(), 0u);
}

TEST(DeadlineWatch, AForgottenTicketNeverRuns) {
  boost::asio::io_context io;
  DeadlineWatch watch(io.get_executor());
  bool forgotten_ran = false;
  bool later_ran = false;
  const auto ticket = watch.watch(Clock::now() + milliseconds(10), [&] { forgotten_ran = true; });
  watch.watch(Clock::now() + milliseconds(40), [&] { later_ran = true; });
  EXPECT_TRUE(watch.forget(ticket));
  EXPECT_FALSE(watch.forget(ticket));  // once only
  run_until(io, [&] { return later_ran; });
  EXPECT_TRUE(later_ran);
  EXPECT_FALSE(forgotten_ran);
}

TEST(DeadlineWatch, AnEarlierDeadlineWatchedLaterStillRunsFirst) {
  boost::asio::io_context io;
  DeadlineWatch watch(io.get_executor());
  std::vector<std::string> order;
  watch.watch(Clock::now() + milliseconds(300), [&] { order.push_back("late"); });
  watch.watch(Clock::now() + milliseconds(20), [&] { order.push_back("early"); });
  // Same instant twice: both run (tickets differ).
  const auto same = Clock::now() + milliseconds(60);
  watch.watch(same, [&] { order.push_back("same"); });
  watch.watch(same, [&] { order.push_back("same"); });
  run_until(io, [&] { return order.size() == 4; });
  EXPECT_EQ(order, (std::vector<std::string>{"early", "same", "same", "late"}));
}

TEST(DeadlineWatch, ForgetAfterTheExpiryRanSaysSo) {
  boost::asio::io_context io;
  DeadlineWatch watch(io.get_executor());
  bool ran = false;
  const auto ticket = watch.watch(Clock::now(), [&] { ran = true; });
  run_until(io, [&] { return ran; });
  EXPECT_FALSE(watch.forget(ticket));
}

// Workers forget while the loop fires: every ticket is either forgotten or expired, never both.
TEST(DeadlineWatch, ForgettingFromOtherThreadsRacesCleanlyWithExpiry) {
  boost::asio::io_context io;
  DeadlineWatch watch(io.get_executor());
  constexpr int kTickets = 2000;
  std::atomic<int> expired{0};
  std::vector<DeadlineWatch::Ticket> tickets;
  const auto start = Clock::now() + milliseconds(20);
  for (int i = 0; i < kTickets; ++i) {
    tickets.push_back(watch.watch(start + std::chrono::microseconds(10 * i), [&] { ++expired; }));
  }
  std::atomic<int> forgotten{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      std::this_thread::sleep_until(start);
      for (int i = t; i < kTickets; i += 2) {
        if (watch.forget(tickets[i])) ++forgotten;
      }
    });
  }
  run_until(io, [&] { return watch.size() == 0; });
  for (auto& th : threads) th.join();
  io.poll();
  EXPECT_EQ(expired + forgotten, kTickets);
}

TEST(DeadlineWatch, GoingAwayWithDeadlinesLeftRunsNothing) {
  boost::asio::io_context io;
  bool ran = false;
  {
    DeadlineWatch watch(io.get_executor());
    watch.watch(Clock::now(), [&] { ran = true; });
  }
  io.run_for(milliseconds(20));
  EXPECT_FALSE(ran);
}

TEST(DeadlineWatch, StopLetsTheLoopEndAndFiresNothing) {
  boost::asio::io_context io;
  DeadlineWatch watch(io.get_executor());
  bool ran = false;
  watch.watch(Clock::now() + std::chrono::hours(1), [&] { ran = true; });
  watch.stop();
  watch.watch(Clock::now(), [&] { ran = true; });
  io.run();  // returns: nothing keeps it going
  EXPECT_FALSE(ran);
}

}  // namespace
}  // namespace p11signd::daemon
