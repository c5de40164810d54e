#include "daemon/connection.h"

#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

namespace p11signd::daemon {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
constexpr std::size_t kHeaderLimit = 16 * 1024;

}  // namespace

Connection::Connection(UnixSocket socket, Peer peer, Server& server, std::weak_ptr<Server*> handle)
    : socket_(std::move(socket)),
      peer_(std::move(peer)),
      server_(server),
      server_handle_(std::move(handle)),
      timer_(socket_.get_executor()) {}

Connection::~Connection() {
  if (auto server = server_handle_.lock()) (*server)->forget(this);
}

void Connection::start() { wait_for_request(); }

void Connection::arm(std::chrono::milliseconds timeout) {
  timed_out_ = false;
  // A deadline that fired just before re-arming still delivers success: the generation tells it is
  // stale.
  const unsigned generation = ++timer_generation_;
  timer_.expires_after(timeout);
  timer_.async_wait([self = shared_from_this(), generation](error_code ec) {
    if (ec || self->closed_ || generation != self->timer_generation_) return;
    self->timed_out_ = true;
    self->socket_.cancel();
  });
}

// Between requests the client may stay silent for idle-timeout-ms; once it starts a request it has
// read-timeout-ms to finish it. Pipelined requests already in the buffer skip the wait.
void Connection::wait_for_request() {
  if (draining_) return close();
  if (buffer_.size() > 0) return read_header();
  waiting_idle_ = true;
  arm(server_.limits_.idle_timeout);
  socket_.async_wait(UnixSocket::wait_read, [self = shared_from_this()](error_code ec) {
    self->waiting_idle_ = false;
    if (ec || self->closed_)
      return self->close();  // idle too long, drained, or gone: no answer owed
    self->read_header();
  });
}

void Connection::read_header() {
  parser_.emplace();
  parser_->header_limit(kHeaderLimit);
  parser_->body_limit(server_.limits_.max_request_bytes);
  arm(server_.limits_.read_timeout);
  http::async_read_header(
      socket_, buffer_, *parser_,
      [self = shared_from_this()](error_code ec, std::size_t) { self->on_header(ec); });
}

void Connection::on_header(error_code ec) {
  if (ec) return fail_read(ec);
  // The deadline may have fired after the header arrived but before this ran: it cancelled
  // nothing then, and the body read would go on without a deadline.
  if (timed_out_) return fail_read(asio::error::timed_out);
  const auto& header = parser_->get();
  if (header[http::field::expect] == "100-continue" && !parser_->is_done()) {
    // curl waits for this before sending bodies over 1 KiB; the length was already checked on the
    // header.
    return asio::async_write(socket_, asio::buffer(kContinue),
                             [self = shared_from_this()](error_code wec, std::size_t) {
                               if (wec) return self->close();
                               self->on_body({});
                             });
  }
  on_body({});
}

void Connection::on_body(error_code ec) {
  if (ec) return fail_read(ec);
  if (!parser_->is_done()) {
    return http::async_read(socket_, buffer_, *parser_,
                            [self = shared_from_this()](error_code rec, std::size_t) {
                              if (rec) return self->fail_read(rec);
                              self->on_body({});
                            });
  }
  ++timer_generation_;
  timer_.cancel();
  req_ = parser_->release();
  wipe_spent(buffer_);  // the request now lives in req_ alone (which the import route wipes)
  server_.api_.handle(req_, peer_, [self = shared_from_this()](Response res) {
    self->respond(std::move(res), false);
  });
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

void Connection::respond(Response res, bool close_after) {
  if (closed_) return;
  close_after = close_after || draining_ || !req_.keep_alive();
  res_ = std::move(res);
  res_.version(req_.version() == 10 ? 10 : 11);
  res_.keep_alive(!close_after);
  arm(server_.limits_.read_timeout);  // a client that does not read its answer is cut off too
  http::async_write(socket_, res_,
                    [self = shared_from_this(), close_after](error_code ec, std::size_t) {
                      self->on_written(ec, close_after);
                    });
}

void Connection::on_written(error_code ec, bool close_after) {
  ++timer_generation_;
  timer_.cancel();
  req_ = {};
  if (ec || close_after) return close();
  wait_for_request();
}

void Connection::drain() {
  draining_ = true;
  if (waiting_idle_) close();
}

void Connection::close() {
  if (closed_) return;
  closed_ = true;
  timer_.cancel();
  error_code ignored;
  socket_.shutdown(UnixSocket::shutdown_send, ignored);
  socket_.close(ignored);
}

}  // namespace p11signd::daemon
