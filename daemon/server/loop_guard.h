#pragma once
// The one rule for an exception that reaches an event-loop handler: it ends what that handler
// served (its request, its connection), it is logged, and it never ends the loop. Handlers that
// own a request or a connection catch for themselves (they can still answer 500 and audit it);
// run_event_loop() is the last resort for everything else, so no handler can take the daemon down.

#include <boost/asio/io_context.hpp>
#include <exception>
#include <string>
#include <string_view>

namespace p11signd::daemon {

// The message of an exception, whatever was thrown.
std::string what_of(const std::exception_ptr& e) noexcept;
// One line on standard error: which handler failed and why.
void log_handler_failure(std::string_view where, std::string_view what) noexcept;
// io.run() until it returns by itself; a handler that throws is logged and the loop goes on.
void run_event_loop(boost::asio::io_context& io) noexcept;

}  // namespace p11signd::daemon
