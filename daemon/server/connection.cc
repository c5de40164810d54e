#include "daemon/server/connection.h"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "daemon/server/loop_guard.h"

namespace p11signd::daemon {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
constexpr std::size_t kHeaderLimit = 16 * 1024;

}  // namespace

Connection::Connection(UnixSocket socket, Peer peer, Server& server, std::weak_ptr<Server*> handle,
                       PeerLimits::LeasePtr lease)
    : socket_(std::move(socket)),
      peer_(std::move(peer)),
      server_(server),
      server_handle_(std::move(handle)),
      timer_(socket_.get_executor()),
      direct_(std::make_shared<DirectAnswer>(socket_.native_handle())),
      connection_lease_(std::move(lease)) {}

Connection::~Connection() {
  direct_->close();  // before the socket's descriptor is closed with it
  if (auto server = server_handle_.lock()) (*server)->forget(this);
}

void Connection::start() { wait_for_request(); }

template <typename Handler>
auto Connection::guarded(Handler handler) {
  return [self = shared_from_this(), handler = std::move(handler)](auto... args) mutable {
    try {
      handler(*self, args...);
    } catch (...) {
      self->fail_internal(what_of(std::current_exception()));
    }
  };
}

void Connection::fail_internal(const std::string& what) noexcept {
  server_.api_.record_handler_failure(peer_, what);
  if (closed_) return;
  // Reading a request, or holding one the Api has not answered through the loop: the client can
  // still be told. Writing an answer, or waiting for a worker's: only closing is safe.
  if (!writing_ && !in_flight_) {
    try {
      server_.api_.count_transport_answer(500);
      return respond(error_response(http::status::internal_server_error, "internal",
                                    "the daemon failed on this request: " + what),
                     true);
    } catch (...) {  // close below
    }
  }
  close();
}

void Connection::arm(std::chrono::milliseconds timeout) {
  timed_out_ = false;
  // A deadline that fired just before re-arming still delivers success: the generation tells it is
  // stale.
  const unsigned generation = ++timer_generation_;
  timer_.expires_after(timeout);
  timer_.async_wait(guarded([generation](Connection& self, error_code ec) {
    if (ec || self.closed_ || generation != self.timer_generation_) return;
    self.timed_out_ = true;
    self.socket_.cancel();
  }));
}

// Between requests the client may stay silent for idle-timeout-ms; once it starts a request it has
// read-timeout-ms to finish it. Pipelined requests already in the buffer skip the wait.
void Connection::wait_for_request() {
  if (draining_) return close();
  if (buffer_.size() > 0) return read_header();
  waiting_idle_ = true;
  arm(server_.limits_.idle_timeout);
  socket_.async_wait(UnixSocket::wait_read, guarded([](Connection& self, error_code ec) {
                       self.waiting_idle_ = false;
                       if (ec || self.closed_)
                         return self.close();  // idle too long, drained, or gone: no answer owed
                       self.read_header();
                     }));
}

void Connection::read_header() {
  // A uid that spent its refusals is read at their pace only (daemon/access/peer_limits.h).
  if (const auto delay = server_.per_uid_.read_delay(peer_.uid); delay.count() > 0) {
    const unsigned generation = ++timer_generation_;
    timer_.expires_after(delay);
    return timer_.async_wait(guarded([generation](Connection& self, error_code ec) {
      if (ec || self.closed_ || generation != self.timer_generation_) return;
      self.read_header();
    }));
  }
  parser_.emplace();
  parser_->header_limit(kHeaderLimit);
  parser_->body_limit(server_.limits_.max_request_bytes);
  arm(server_.limits_.read_timeout);
  http::async_read_header(
      socket_, buffer_, *parser_,
      guarded([](Connection& self, error_code ec, std::size_t) { self.on_header(ec); }));
}

void Connection::on_header(error_code ec) {
  if (ec) return fail_read(ec);
  // The deadline may have fired after the header arrived but before this ran: it cancelled
  // nothing then, and the body read would go on without a deadline.
  if (timed_out_) return fail_read(asio::error::timed_out);
  // Before the body is read or parsed: a uid at its share is turned away at the cost of a header.
  request_lease_ = server_.per_uid_.begin_request(peer_.uid);
  if (!request_lease_) return refuse_request();
  const auto& header = parser_->get();
  if (header[http::field::expect] == "100-continue" && !parser_->is_done()) {
    // curl waits for this before sending bodies over 1 KiB; the length was already checked on the
    // header.
    return asio::async_write(socket_, asio::buffer(kContinue),
                             guarded([](Connection& self, error_code wec, std::size_t) {
                               if (wec) return self.close();
                               self.on_body({});
                             }));
  }
  on_body({});
}

void Connection::on_body(error_code ec) {
  if (ec) return fail_read(ec);
  if (!parser_->is_done()) {
    return http::async_read(socket_, buffer_, *parser_,
                            guarded([](Connection& self, error_code rec, std::size_t) {
                              if (rec) return self.fail_read(rec);
                              self.on_body({});
                            }));
  }
  ++timer_generation_;
  timer_.cancel();
  req_ = parser_->release();
  wipe_spent(buffer_);  // the request now lives in req_ alone (which the import route wipes)
  replied_ = false;
  direct_->expect(req_.keep_alive() && !draining_, req_.version());
  // The reply does not keep the connection alive: while in flight its own waits do, and an answer
  // for a connection that is gone has nobody to go to.
  server_.api_.handle(
      req_, peer_,
      [weak = weak_from_this(), lease = request_lease_](Response res) {
        lease->release();
        auto self = weak.lock();
        if (!self) return;
        try {
          self->respond(std::move(res), false);
        } catch (...) {
          self->fail_internal(what_of(std::current_exception()));
        }
      },
      direct_reply());
  if (!replied_) await_answer();
}

// Runs on the worker. It holds no strong reference to the connection, so the connection is always
// destroyed on the event loop.
Api::DirectReply Connection::direct_reply() {
  return [direct = direct_, weak = weak_from_this(), loop = socket_.get_executor(),
          lease = request_lease_](Response res) {
    lease->release();  // first: the client may send its next request the moment it has this answer
    auto sent = direct->send(res);
    if (sent.next == DirectAnswer::Next::kNothing) return;
    asio::post(loop, [weak, sent = std::move(sent)]() mutable {
      auto self = weak.lock();
      if (!self) return;
      try {
        self->after_direct_answer(std::move(sent));
      } catch (...) {
        self->fail_internal(what_of(std::current_exception()));
      }
    });
  };
}

void Connection::await_answer() {
  in_flight_ = true;
  // The drain began while this request was being read: its answer is the last.
  if (draining_ && direct_->drain()) return close();
  arm_idle_check(server_.limits_.idle_timeout);
  if (buffer_.size() > 0) {  // a pipelined request is already here
    if (direct_->loop_waits()) next_request();
    return;
  }
  socket_.async_wait(UnixSocket::wait_read, guarded([](Connection& self, error_code ec) {
                       self.on_readable_in_flight(ec);
                     }));
}

void Connection::on_readable_in_flight(error_code ec) {
  if (closed_ || !in_flight_) return;
  if (ec) return close();
  if (direct_->loop_waits()) next_request();  // else the answer's sender goes on
}

// In flight the timer only keeps the idle deadline: the Api answers a request that takes too long.
void Connection::arm_idle_check(std::chrono::steady_clock::duration after) {
  const unsigned generation = ++timer_generation_;
  timer_.expires_after(after);
  timer_.async_wait(guarded([generation](Connection& self, error_code ec) {
    if (ec || self.closed_ || generation != self.timer_generation_) return;
    self.check_idle();
  }));
}

void Connection::check_idle() {
  const auto idle = direct_->idle_for();
  const auto limit = std::chrono::steady_clock::duration(server_.limits_.idle_timeout);
  if (!idle) return arm_idle_check(limit);
  if (*idle >= limit) return close();  // idle too long after the answer: no answer owed
  arm_idle_check(limit - *idle);
}

void Connection::after_direct_answer(DirectAnswer::Sent sent) {
  if (closed_) return;
  switch (sent.next) {
    case DirectAnswer::Next::kNothing:
      return;
    case DirectAnswer::Next::kContinue:
      return next_request();
    case DirectAnswer::Next::kClose:
      return close();
    case DirectAnswer::Next::kWriteRest:
      break;
  }
  rest_ = std::move(sent.rest);
  writing_ = true;
  arm(server_.limits_.read_timeout);  // a client that does not read its answer is cut off
  asio::async_write(
      socket_, asio::buffer(rest_),
      guarded([close_after = sent.close_after](Connection& self, error_code ec, std::size_t) {
        self.rest_.clear();
        self.on_written(ec, close_after);
      }));
}

// The answer is out and the client has sent more (or closed), or the loop is draining.
void Connection::next_request() {
  in_flight_ = false;
  if (draining_) return close();
  read_header();
}

void Connection::fail_read(error_code ec) {
  if (closed_) return;
  req_ = {};  // the answer goes out as HTTP/1.1 and closes the connection
  const auto answer = [this](Response res) {
    server_.api_.count_transport_answer(res.result_int());
    respond(std::move(res), true);
  };
  if (timed_out_) {
    return answer(error_response(http::status::request_timeout, "request_timeout",
                                 "the request was not received within read-timeout-ms"));
  }
  if (ec == http::error::end_of_stream || ec == asio::error::eof ||
      ec == asio::error::connection_reset || ec == asio::error::operation_aborted) {
    return close();
  }
  if (ec == http::error::body_limit) {
    return answer(error_response(http::status::payload_too_large, "payload_too_large",
                                 "the body is larger than max-request-bytes (" +
                                     std::to_string(server_.limits_.max_request_bytes) + ")"));
  }
  if (ec == http::error::header_limit) {
    return answer(error_response(http::status::request_header_fields_too_large, "headers_too_large",
                                 "the request headers exceed 16 KiB"));
  }
  // After a syntax error the stream cannot be trusted: answer and close, as the RFC asks.
  answer(error_response(http::status::bad_request, "bad_request",
                        "malformed HTTP request: " + ec.message()));
}

void Connection::refuse_request() {
  req_ = {};  // the answer goes out as HTTP/1.1 and closes the connection (the body is not read)
  const auto& limit = server_.per_uid_.settings().requests_per_uid;
  const std::string message = "uid " + std::to_string(peer_.uid) + " has " + std::to_string(limit) +
                              " requests in flight, the most one uid may (max-requests-per-uid)";
  server_.api_.record_refusal(peer_, 429, "too_many_requests", message);
  Response res = error_response(http::status::too_many_requests, "too_many_requests", message);
  res.set(http::field::retry_after, std::to_string(kRetryAfterSeconds));
  respond(std::move(res), true);
}

void Connection::respond(Response res, bool close_after) {
  replied_ = true;
  if (closed_ || writing_) return;  // one answer per request
  writing_ = true;
  close_after = close_after || draining_ || !req_.keep_alive();
  res_ = std::move(res);
  if (res_.result() == http::status::forbidden ||
      res_.result() == http::status::too_many_requests) {
    server_.per_uid_.count_refusal(peer_.uid);
  }
  frame_answer(res_, req_.version(), close_after);
  arm(server_.limits_.read_timeout);  // a client that does not read its answer is cut off too
  http::async_write(socket_, res_,
                    guarded([close_after](Connection& self, error_code ec, std::size_t) {
                      self.on_written(ec, close_after);
                    }));
}

void Connection::on_written(error_code ec, bool close_after) {
  writing_ = false;
  request_lease_.reset();
  ++timer_generation_;
  timer_.cancel();
  req_ = {};
  if (ec || close_after) return close();
  if (!in_flight_) return wait_for_request();
  // Answered through the loop while the wait for the next request was armed.
  if (direct_->answered_by_loop()) return next_request();
  arm_idle_check(server_.limits_.idle_timeout);
}

void Connection::drain() {
  draining_ = true;
  if (waiting_idle_ || (in_flight_ && direct_->drain())) close();
}

void Connection::close() {
  if (closed_) return;
  closed_ = true;
  request_lease_.reset();
  timer_.cancel();
  direct_->close();
  error_code ignored;
  socket_.shutdown(UnixSocket::shutdown_send, ignored);
  socket_.close(ignored);
}

}  // namespace p11signd::daemon
