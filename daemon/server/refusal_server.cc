#include "daemon/server/refusal_server.h"

#include <systemd/sd-daemon.h>

#include <algorithm>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <iostream>
#include <memory>

#include "daemon/lifecycle/exit_codes.h"
#include "daemon/lifecycle/notify.h"
#include "daemon/server/accept_backoff.h"
#include "daemon/server/http.h"
#include "daemon/server/loop_guard.h"
#include "daemon/server/server.h"

namespace p11signd::daemon {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;

// Bounds for clients of a daemon that does nothing else: the defaults of p11signd.conf(5).
const ServerLimits kLimits;

// Reads one request (the whole of it: closing on unread bytes would reset the connection before
// the client reads the answer), answers it and closes.
class Refusal : public std::enable_shared_from_this<Refusal> {
 public:
  // lease: its place among the connections served at once, given back when it is destroyed.
  Refusal(UnixSocket socket, const Response& answer, std::shared_ptr<std::size_t> open)
      : socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        answer_(answer),
        open_(std::move(open)) {
    ++*open_;
  }
  ~Refusal() { --*open_; }

  void start() {
    parser_.body_limit(kLimits.max_request_bytes);
    timer_.expires_after(kLimits.read_timeout);
    timer_.async_wait([self = shared_from_this()](error_code ec) {
      if (!ec) self->socket_.cancel();
    });
    http::async_read(socket_, buffer_, parser_,
                     [self = shared_from_this()](error_code ec, std::size_t) {
                       if (ec) return self->close();
                       self->answer_.version(self->parser_.get().version() == 10 ? 10 : 11);
                       self->answer_.keep_alive(false);
                       http::async_write(self->socket_, self->answer_,
                                         [self](error_code, std::size_t) { self->close(); });
                     });
  }

 private:
  void close() {
    timer_.cancel();
    error_code ignored;
    socket_.shutdown(UnixSocket::shutdown_send, ignored);
    socket_.close(ignored);
  }

  UnixSocket socket_;
  asio::steady_timer timer_;
  boost::beast::flat_buffer buffer_;
  http::request_parser<http::string_body> parser_;
  Response answer_;
  std::shared_ptr<std::size_t> open_;  // event loop only
};

// The same door as the server's (daemon/server/server.cc): at most max-connections at once - one
// more is closed at once, unanswered, which costs nothing to read - and accept errors such as
// EMFILE wait before the next accept instead of spinning.
class RefusalDoor {
 public:
  RefusalDoor(UnixAcceptor& acceptor, const Response& answer)
      : acceptor_(acceptor), answer_(answer), timer_(acceptor.get_executor()) {}

  void accept() {
    acceptor_.async_accept([this](error_code ec, UnixSocket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (ec) return accept_later(ec);
      backoff_.after_success();
      try {
        if (*open_ < kLimits.max_connections) {
          std::make_shared<Refusal>(std::move(socket), answer_, open_)->start();
        }
      } catch (...) {  // this connection is lost; the next one is accepted
        log_handler_failure("answering a connection", what_of(std::current_exception()));
      }
      accept();
    });
  }

 private:
  void accept_later(error_code ec) {
    const auto wait = backoff_.after_failure();
    log_handler_failure(
        "accept", ec.message() + "; accepting again in " + std::to_string(wait.count()) + " ms");
    timer_.expires_after(wait);
    timer_.async_wait([this](error_code tec) {
      if (!tec) accept();
    });
  }

  UnixAcceptor& acceptor_;
  const Response& answer_;
  asio::steady_timer timer_;
  AcceptBackoff backoff_;
  std::shared_ptr<std::size_t> open_ = std::make_shared<std::size_t>(0);
};

void feed_watchdog(asio::steady_timer& timer, std::chrono::microseconds interval) {
  timer.expires_after(interval / 2);
  timer.async_wait([&timer, interval](error_code ec) {
    if (ec) return;
    notify::watchdog();
    feed_watchdog(timer, interval);
  });
}

void wait_for_stop(asio::signal_set& signals, asio::io_context& io);

// STATUS= holds one line.
std::string one_line(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ';');
  return text;
}

int refuse_until_stopped(const std::string& reason) {
  asio::io_context io;
  // Only the socket systemd passed: never one of our own (open_listener's fallback).
  if (sd_listen_fds(/*unset_environment=*/1) <= 0) return kExitConfig;
  UnixAcceptor acceptor(io);
  acceptor.assign(boost::asio::local::stream_protocol(), SD_LISTEN_FDS_START);
  Response answer = error_response(
      http::status::service_unavailable, "not_started",
      "p11signd could not start: " + one_line(reason) + "; fix it and restart the service");
  answer.erase(http::field::retry_after);  // retrying will not help until someone restarts it
  RefusalDoor door(acceptor, answer);
  door.accept();
  asio::steady_timer watchdog(io);
  if (auto interval = notify::watchdog_interval()) feed_watchdog(watchdog, *interval);
  // SIGHUP too: its default action would end the process, and Restart=on-failure would start it
  // again - with the refused PIN. A reload (logrotate's postrotate) changes nothing here.
  asio::signal_set signals(io, SIGTERM, SIGINT, SIGHUP);
  wait_for_stop(signals, io);
  std::cerr << "p11signd: not starting, and not exiting either (systemd would start it again at "
               "once for the waiting client, with the same PIN): every request is answered 503 "
               "until the service is restarted\n";
  notify::ready("not started, answering every request 503: " + one_line(reason));
  run_event_loop(io);
  return kExitConfig;
}

void wait_for_stop(asio::signal_set& signals, asio::io_context& io) {
  signals.async_wait([&signals, &io](error_code ec, int signo) {
    if (ec) return;
    if (signo == SIGHUP) return wait_for_stop(signals, io);
    notify::stopping();
    io.stop();
  });
}

}  // namespace

bool started_by_socket_activation() { return sd_listen_fds(/*unset_environment=*/0) > 0; }

int serve_refusals(const std::string& reason) {
  try {
    return refuse_until_stopped(reason);
  } catch (const std::exception& e) {  // no socket to serve on after all: the exit status stands
    std::cerr << "p11signd: cannot answer on the socket systemd passed: " << e.what() << '\n';
    return kExitConfig;
  }
}

}  // namespace p11signd::daemon
