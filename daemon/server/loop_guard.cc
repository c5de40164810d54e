#include "daemon/server/loop_guard.h"

#include <iostream>

namespace p11signd::daemon {

std::string what_of(const std::exception_ptr& e) noexcept {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    try {
      return ex.what();
    } catch (...) {
      return {};
    }
  } catch (...) {
    return "an exception that is not a std::exception";
  }
}

void log_handler_failure(std::string_view where, std::string_view what) noexcept {
  try {
    std::cerr << "p11signd: " << where << " failed and was ended (the daemon goes on): " << what
              << std::endl;
  } catch (...) {  // nothing left to report with
  }
}

void run_event_loop(boost::asio::io_context& io) noexcept {
  for (;;) {
    try {
      io.run();
      return;
    } catch (...) {
      // Asio leaves the loop usable after a handler threw; run() again serves what is left.
      log_handler_failure("an event-loop handler", what_of(std::current_exception()));
    }
  }
}

}  // namespace p11signd::daemon
