#include "daemon/refusal_server.h"

#include <systemd/sd-daemon.h>

#include <algorithm>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <iostream>
#include <memory>

#include "daemon/exit_codes.h"
#include "daemon/http.h"
#include "daemon/notify.h"
#include "daemon/server.h"

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
  Refusal(UnixSocket socket, const Response& answer)
      : socket_(std::move(socket)), timer_(socket_.get_executor()), answer_(answer) {}

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
};

void accept_forever(UnixAcceptor& acceptor, const Response& answer) {
  acceptor.async_accept([&acceptor, &answer](error_code ec, UnixSocket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) std::make_shared<Refusal>(std::move(socket), answer)->start();
    accept_forever(acceptor, answer);
  });
}

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
  accept_forever(acceptor, answer);
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
  io.run();
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
