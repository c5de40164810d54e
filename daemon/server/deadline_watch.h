#pragma once
// The deadlines of the requests on the worker pool, kept by one timer on the event loop. A timer
// per request would have to be cancelled on the event loop when its answer is ready - a wake-up of
// that thread for every signature, which is what a worker that sends its own answer saves
// (daemon/server/direct_answer.h). Here the worker only takes its ticket out, under a mutex; the
// one timer stays armed for the earliest deadline it has seen and, when it fires, runs what is due
// and re-arms for the earliest left. Under steady load that is one wake-up per request-timeout-ms.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <utility>

namespace p11signd::daemon {

class DeadlineWatch {
 public:
  using Clock = std::chrono::steady_clock;
  using Ticket = std::pair<Clock::time_point, std::uint64_t>;

  explicit DeadlineWatch(const boost::asio::any_io_executor& loop);
  DeadlineWatch(const DeadlineWatch&) = delete;
  DeadlineWatch& operator=(const DeadlineWatch&) = delete;

  // On the event loop: on_expiry runs there once `deadline` has passed, unless the ticket is
  // forgotten first.
  Ticket watch(Clock::time_point deadline, std::function<void()> on_expiry);
  // Any thread: the deadline no longer matters. False when on_expiry already ran or is running.
  bool forget(const Ticket& ticket);
  std::size_t size() const;
  // On the event loop, when no answer has anyone left to go to (the server drained): lets the
  // loop end. The timer would otherwise keep io_context::run() going until the earliest deadline
  // it was armed for, long after that request was answered. Nothing fires from now on.
  void stop();

 private:
  struct Watched {
    std::mutex mu;
    std::map<Ticket, std::function<void()>> due;
    std::uint64_t next_id = 0;
  };
  void arm(Clock::time_point at);
  void fire();

  std::shared_ptr<Watched> watched_ = std::make_shared<Watched>();
  boost::asio::steady_timer timer_;  // event loop only, as armed_for_
  Clock::time_point armed_for_ = Clock::time_point::max();
  bool stopped_ = false;
};

}  // namespace p11signd::daemon
