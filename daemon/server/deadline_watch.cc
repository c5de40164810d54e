#include "daemon/server/deadline_watch.h"

#include <vector>

#include "daemon/server/loop_guard.h"

namespace p11signd::daemon {

DeadlineWatch::DeadlineWatch(const boost::asio::any_io_executor& loop) : timer_(loop) {}

DeadlineWatch::Ticket DeadlineWatch::watch(Clock::time_point deadline,
                                           std::function<void()> on_expiry) {
  Ticket ticket;
  {
    std::lock_guard lock(watched_->mu);
    ticket = {deadline, watched_->next_id++};
    watched_->due.emplace(ticket, std::move(on_expiry));
  }
  if (deadline < armed_for_) arm(deadline);
  return ticket;
}

bool DeadlineWatch::forget(const Ticket& ticket) {
  std::function<void()> dropped;  // destroyed outside the lock: it may own much
  std::lock_guard lock(watched_->mu);
  auto it = watched_->due.find(ticket);
  if (it == watched_->due.end()) return false;
  dropped = std::move(it->second);
  watched_->due.erase(it);
  return true;
}

std::size_t DeadlineWatch::size() const {
  std::lock_guard lock(watched_->mu);
  return watched_->due.size();
}

void DeadlineWatch::stop() {
  stopped_ = true;
  armed_for_ = Clock::time_point::min();  // watch() never re-arms
  timer_.cancel();
}

void DeadlineWatch::arm(Clock::time_point at) {
  if (stopped_) return;
  armed_for_ = at;
  timer_.expires_at(at);
  // A re-arm cancels the earlier wait (ec set); the weak pointer guards a firing that was already
  // queued when the watch went away.
  timer_.async_wait([this, alive = std::weak_ptr<Watched>(watched_)](boost::system::error_code ec) {
    if (ec || alive.expired()) return;
    fire();
  });
}

void DeadlineWatch::fire() {
  armed_for_ = Clock::time_point::max();
  std::vector<std::function<void()>> expired;
  Clock::time_point next = Clock::time_point::max();
  {
    const auto now = Clock::now();
    std::lock_guard lock(watched_->mu);
    auto& due = watched_->due;
    while (!due.empty() && due.begin()->first.first <= now) {
      expired.push_back(std::move(due.begin()->second));
      due.erase(due.begin());
    }
    if (!due.empty()) next = due.begin()->first.first;
  }
  if (next != Clock::time_point::max()) arm(next);
  // One failing expiry must not cost the others theirs: each request still gets its 504.
  for (auto& on_expiry : expired) {
    try {
      on_expiry();
    } catch (...) {
      log_handler_failure("a request's deadline", what_of(std::current_exception()));
    }
  }
}

}  // namespace p11signd::daemon
