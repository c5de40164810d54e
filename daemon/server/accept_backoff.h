#pragma once
// How long to wait before accepting again after accept(2) failed. EMFILE, ENFILE, ENOBUFS and
// ENOMEM last until something is freed, and the connection that caused them stays in the backlog,
// so accepting again at once only spins the event loop at full CPU. The wait doubles from
// kFirst up to kLongest while the failures last and starts over after a success.

#include <algorithm>
#include <chrono>

namespace p11signd::daemon {

class AcceptBackoff {
 public:
  static constexpr std::chrono::milliseconds kFirst{10};
  static constexpr std::chrono::milliseconds kLongest{1000};

  std::chrono::milliseconds after_failure() {
    next_ = next_.count() == 0 ? kFirst : std::min(next_ * 2, kLongest);
    return next_;
  }
  void after_success() { next_ = {}; }

 private:
  std::chrono::milliseconds next_{0};
};

}  // namespace p11signd::daemon
