#include "daemon/access/peer_limits.h"

#include <gtest/gtest.h>

#include <thread>

#include "daemon/server/accept_backoff.h"

namespace p11signd::daemon {
namespace {

TEST(PeerLimits, EachUidHasItsOwnShare) {
  PeerLimits limits({2, 1});
  auto a = limits.open_connection(1000);
  auto b = limits.open_connection(1000);
  EXPECT_TRUE(a && b);
  EXPECT_FALSE(limits.open_connection(1000));  // at its share
  EXPECT_TRUE(limits.open_connection(1001));   // another uid is not
  EXPECT_EQ(limits.connections_of(1000), 2u);
  a.reset();
  EXPECT_EQ(limits.connections_of(1000), 1u);
  EXPECT_TRUE(limits.open_connection(1000));
}

TEST(PeerLimits, ALeaseIsGivenBackOnceWhicheverWayItEnds) {
  PeerLimits limits({8, 1});
  auto request = limits.begin_request(7);
  ASSERT_TRUE(request);
  EXPECT_FALSE(limits.begin_request(7));
  auto copy = request;  // the loop's reply and the worker's each hold one
  request->release();
  request->release();
  EXPECT_EQ(limits.requests_of(7), 0u);
  auto next = limits.begin_request(7);
  EXPECT_TRUE(next);
  request.reset();
  copy.reset();  // the old lease, already given back, gives nothing back again
  EXPECT_EQ(limits.requests_of(7), 1u);
}

TEST(PeerLimits, LeasesOutliveTheLimitsAndComeBackFromAnyThread) {
  PeerLimits::LeasePtr kept;
  {
    PeerLimits limits({8, 8});
    kept = limits.begin_request(1);
  }
  std::thread([&] { kept.reset(); }).join();  // no crash, nothing to count any more
  SUCCEED();
}

TEST(PeerLimits, AUidPastItsRefusalsIsReadAtTheirPaceOneConnectionAfterAnother) {
  PeerLimitSettings settings;
  settings.refusals_per_second = 10;
  settings.refusal_burst = 2;
  PeerLimits limits(settings);
  EXPECT_EQ(limits.read_delay(5).count(), 0);  // never refused
  limits.count_refusal(5);
  EXPECT_EQ(limits.read_delay(5).count(), 0);  // within its burst
  limits.count_refusal(5);
  limits.count_refusal(5);
  // Spent: each read now takes its own moment, 100 ms apart, so parked connections wake in turn.
  const auto first = limits.read_delay(5);
  const auto second = limits.read_delay(5);
  const auto third = limits.read_delay(5);
  EXPECT_GT(second - first, std::chrono::milliseconds(90));
  EXPECT_GT(third - second, std::chrono::milliseconds(90));
  EXPECT_EQ(limits.read_delay(6).count(), 0);  // another uid is not paced
}

TEST(AcceptBackoff, DoublesWhileAcceptFailsAndStartsOverAfterASuccess) {
  AcceptBackoff backoff;
  EXPECT_EQ(backoff.after_failure(), AcceptBackoff::kFirst);
  EXPECT_EQ(backoff.after_failure(), 2 * AcceptBackoff::kFirst);
  for (int i = 0; i < 20; ++i) backoff.after_failure();
  EXPECT_EQ(backoff.after_failure(), AcceptBackoff::kLongest);
  backoff.after_success();
  EXPECT_EQ(backoff.after_failure(), AcceptBackoff::kFirst);
}

}  // namespace
}  // namespace p11signd::daemon
