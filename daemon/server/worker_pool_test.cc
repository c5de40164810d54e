#include "daemon/server/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "daemon/testing/fake_keystore.h"

namespace p11signd::daemon {
namespace {

Job counting_job(std::atomic<int>& runs, std::atomic<int>& fails, bool keep = true) {
  Job job;
  job.run = [&runs, keep](SigningSession&) {
    ++runs;
    return keep;
  };
  job.fail = [&fails](const std::string&, bool) { ++fails; };
  return job;
}

TEST(WorkerPool, RunsEveryJobAndDrainsOnStop) {
  FakeKeyStore store;
  std::atomic<int> runs{0}, fails{0};
  WorkerPool pool(store, 3, 1000);
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(pool.submit(counting_job(runs, fails)));
  pool.stop();
  EXPECT_EQ(runs, 200);
  EXPECT_EQ(fails, 0);
  EXPECT_FALSE(pool.submit(counting_job(runs, fails)));  // stopped
}

// Jobs that arrive while the workers poll (spin-us), and after they went to sleep, all run.
TEST(WorkerPool, SpinningWorkersMissNoJob) {
  FakeKeyStore store;
  std::atomic<int> runs{0}, fails{0};
  WorkerPool pool(store, 2, 1000, std::chrono::microseconds(300));
  for (int i = 0; i < 60; ++i) {
    ASSERT_TRUE(pool.submit(counting_job(runs, fails)));
    if (i % 3 == 1) std::this_thread::sleep_for(std::chrono::microseconds(100));  // within the spin
    if (i % 3 == 2) std::this_thread::sleep_for(std::chrono::milliseconds(2));    // asleep by then
  }
  // Every job must run before stop(): stop() wakes all workers and drains the queue, so checking
  // only after it would hide a lost wake-up. The deadline is generous for a loaded machine; the
  // wait ends as soon as the 60th job has run.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (runs < 60 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(runs, 60) << "jobs left waiting in the queue: a worker missed a wake-up";
  pool.stop();
  EXPECT_EQ(runs, 60);
  EXPECT_EQ(fails, 0);
}

TEST(WorkerPool, RefusesBeyondTheQueueLimit) {
  FakeKeyStore store;
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  std::promise<void> started;
  WorkerPool pool(store, 1, 2);
  Job blocker;
  blocker.run = [gate, &started](SigningSession&) {
    started.set_value();
    gate.wait();
    return true;
  };
  blocker.fail = [](const std::string&, bool) {};
  ASSERT_TRUE(pool.submit(blocker));
  started.get_future().wait();  // the only worker is busy now
  std::atomic<int> runs{0}, fails{0};
  EXPECT_TRUE(pool.submit(counting_job(runs, fails)));
  EXPECT_TRUE(pool.submit(counting_job(runs, fails)));
  EXPECT_FALSE(pool.submit(counting_job(runs, fails)));
  EXPECT_EQ(pool.queue_depth(), 2u);
  EXPECT_EQ(pool.busy(), 1u);
  release.set_value();
  pool.stop();
  EXPECT_EQ(runs, 2);
}

TEST(WorkerPool, ExpiredJobsAreNotRun) {
  FakeKeyStore store;
  std::atomic<int> runs{0};
  std::atomic<int> expired{0};
  WorkerPool pool(store, 1, 10);
  Job job;
  job.deadline = std::chrono::steady_clock::now() - std::chrono::seconds(1);
  job.run = [&runs](SigningSession&) { return ++runs, true; };
  job.fail = [&expired](const std::string&, bool is_expired) { expired += is_expired; };
  pool.submit(job);
  pool.stop();
  EXPECT_EQ(runs, 0);
  EXPECT_EQ(expired, 1);
}

// A job that holds its worker until released.
class BlockingJob {
 public:
  explicit BlockingJob(std::chrono::steady_clock::time_point deadline) {
    job.deadline = deadline;
    job.run = [this, gate = release_.get_future().share()](SigningSession&) {
      started_.set_value();
      gate.wait();
      return true;
    };
    job.fail = [](const std::string&, bool) {};
  }
  void wait_started() { started_.get_future().wait(); }
  void release() { release_.set_value(); }

  Job job;

 private:
  std::promise<void> release_;
  std::promise<void> started_;
};

TEST(WorkerPool, ProgressForTheWatchdog) {
  FakeKeyStore store;
  WorkerPool pool(store, 1, 10);
  EXPECT_TRUE(pool.making_progress(std::chrono::hours(1)));  // idle counts as healthy
  BlockingJob hung(std::chrono::steady_clock::now() + std::chrono::milliseconds(100));
  pool.submit(hung.job);
  hung.wait_started();
  std::this_thread::sleep_until(hung.job.deadline + std::chrono::milliseconds(10));
  // Running past its deadline, nothing finished since: hung.
  EXPECT_FALSE(pool.making_progress(std::chrono::nanoseconds(0)));
  EXPECT_TRUE(pool.making_progress(std::chrono::hours(1)));
  hung.release();
  pool.stop();
}

// Key generation may take longer than the watchdog's window: a job inside its own deadline is
// progress, so systemd does not restart the daemon in the middle of it.
TEST(WorkerPool, ALongJobInsideItsDeadlineIsProgress) {
  FakeKeyStore store;
  WorkerPool pool(store, 1, 10);
  BlockingJob slow(std::chrono::steady_clock::now() + std::chrono::hours(1));
  pool.submit(slow.job);
  slow.wait_started();
  EXPECT_TRUE(pool.making_progress(std::chrono::nanoseconds(0)));
  slow.release();
  pool.stop();
}

TEST(WorkerPool, NoSessionMeansFailWithTheReason) {
  FakeKeyStore store;
  store.set_open_session_fails(true);
  std::string reason;
  WorkerPool pool(store, 1, 10);
  Job job;
  job.run = [](SigningSession&) { return true; };
  job.fail = [&reason](const std::string& why, bool) { reason = why; };
  pool.submit(job);
  pool.stop();
  EXPECT_NE(reason.find("no session"), std::string::npos);
}

}  // namespace
}  // namespace p11signd::daemon
