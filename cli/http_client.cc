#include "cli/http_client.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <cstring>
#include <utility>

namespace p11signd::cli {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;

constexpr std::size_t kMaxResponseBytes = 16 * 1024 * 1024;
constexpr std::size_t kReadChunk = 16 * 1024;
// A wait may end this much after the deadline: it spares a setsockopt for every request.
constexpr std::chrono::microseconds kTimeoutSlack = std::chrono::milliseconds(1);

// Boost 1.74's Beast has its own string_view type.
beast::string_view bsv(std::string_view s) { return {s.data(), s.size()}; }

http::verb parse_verb(std::string_view method) {
  const http::verb verb = http::string_to_verb(bsv(method));
  if (verb == http::verb::unknown) {
    throw std::invalid_argument("unknown HTTP method " + std::string(method));
  }
  return verb;
}

error_code last_error() { return {errno, boost::system::system_category()}; }

bool timed_out(int err) { return err == EAGAIN || err == EWOULDBLOCK || err == EINPROGRESS; }

// The peer closed a kept-alive connection before answering: normal after its idle timeout.
bool closed_by_peer(error_code ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe;
}

// Sends what the serializer has ready in one sendmsg; returns the bytes sent or sets ec.
template <class Buffers>
std::size_t send_some(int fd, const Buffers& buffers, error_code& ec) {
  std::array<iovec, 16> iov{};
  std::size_t n = 0;
  for (auto it = asio::buffer_sequence_begin(buffers);
       it != asio::buffer_sequence_end(buffers) && n < iov.size(); ++it) {
    const asio::const_buffer b = *it;
    if (b.size() == 0) continue;
    iov[n++] = {const_cast<void*>(b.data()), b.size()};
  }
  msghdr msg{};
  msg.msg_iov = iov.data();
  msg.msg_iovlen = n;
  for (;;) {
    const ssize_t sent = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (sent >= 0) return static_cast<std::size_t>(sent);
    if (errno != EINTR) {
      ec = last_error();
      return 0;
    }
  }
}

}  // namespace

bool HttpResponse::is_json() const {
  return content_type.starts_with("application/json") ||
         content_type.find("+json") != std::string::npos;
}

HttpClient::HttpClient(std::string socket_path, std::chrono::milliseconds timeout)
    : socket_path_(std::move(socket_path)), timeout_(timeout) {}

HttpClient::~HttpClient() { disconnect(); }

void HttpClient::disconnect() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  send_limit_ = receive_limit_ = {};
  buffer_.consume(buffer_.size());
}

TransportError HttpClient::timeout_error(const char* what) const {
  return TransportError(std::string(what) + " " + socket_path_ + ": no answer within " +
                        std::to_string(timeout_.count()) + " ms");
}

TransportError HttpClient::connect_error(int err) const {
  return TransportError("cannot connect to " + socket_path_ + ": " + std::strerror(err), err);
}

void HttpClient::limit_to(int option, Clock::time_point deadline, const char* what) {
  const auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline - Clock::now());
  if (left.count() <= 0) {
    disconnect();
    throw timeout_error(what);
  }
  auto& current = option == SO_SNDTIMEO ? send_limit_ : receive_limit_;
  // Never wait (much) past the deadline; a limit far shorter than what is left (from an earlier
  // request's last moments) would give up too early, so it grows back.
  if (current.count() > 0 && current <= left + kTimeoutSlack && current >= left / 2) return;
  const timeval tv{static_cast<time_t>(left.count() / 1000000),
                   static_cast<suseconds_t>(left.count() % 1000000)};
  if (::setsockopt(fd_, SOL_SOCKET, option, &tv, sizeof tv) != 0) {
    throw boost::system::system_error(last_error());
  }
  current = left;
}

void HttpClient::connect() {
  disconnect();
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path_.size() >= sizeof addr.sun_path) {
    throw connect_error(ENAMETOOLONG);
  }
  std::memcpy(addr.sun_path, socket_path_.data(), socket_path_.size());
  fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw connect_error(errno);
  // A full listen queue makes connect wait, for at most the send timeout.
  limit_to(SO_SNDTIMEO, Clock::now() + timeout_, "connecting to");
  while (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    const int err = errno;
    if (err == EINTR) continue;
    disconnect();
    if (timed_out(err)) throw timeout_error("connecting to");
    throw connect_error(err);
  }
}

HttpResponse HttpClient::request(std::string_view method, std::string_view target,
                                 std::string_view body, std::string_view content_type) {
  const bool reused = fd_ >= 0;
  if (!reused) connect();
  try {
    return exchange(method, target, body, content_type);
  } catch (const boost::system::system_error& e) {
    // Only a reused connection is retried, and only when the daemon hung up before any answer: the
    // request was then never processed. A fresh connection failing that way is a real error.
    disconnect();
    if (!reused || !closed_by_peer(e.code())) {
      throw TransportError("talking to " + socket_path_ + ": " + e.code().message());
    }
  }
  connect();
  try {
    return exchange(method, target, body, content_type);
  } catch (const boost::system::system_error& e) {
    disconnect();
    throw TransportError("talking to " + socket_path_ + ": " + e.code().message());
  }
}

HttpResponse HttpClient::exchange(std::string_view method, std::string_view target,
                                  std::string_view body, std::string_view content_type) {
  const Clock::time_point deadline = Clock::now() + timeout_;
  send_request(method, target, body, content_type, deadline);
  return read_response(deadline);
}

void HttpClient::send_request(std::string_view method, std::string_view target,
                              std::string_view body, std::string_view content_type,
                              Clock::time_point deadline) {
  // span_body points into the caller's buffer: the body is written from there, with no copy of our
  // own.
  http::request<http::span_body<const char>> req{parse_verb(method), bsv(target), 11};
  req.set(http::field::host, "localhost");
  req.set(http::field::user_agent, "p11sign");
  if (req.method() != http::verb::get || !body.empty()) {
    req.set(http::field::content_type, bsv(content_type));
    req.body() = {body.data(), body.size()};
  }
  req.prepare_payload();
  http::request_serializer<http::span_body<const char>> serializer{req};
  while (!serializer.is_done()) {
    limit_to(SO_SNDTIMEO, deadline, "writing to");
    error_code ec;
    serializer.next(ec, [&](error_code& next_ec, const auto& buffers) {
      serializer.consume(send_some(fd_, buffers, next_ec));
    });
    if (ec && ec.category() == boost::system::system_category() && timed_out(ec.value())) {
      continue;  // limit_to() ends it at the deadline
    }
    if (ec) throw boost::system::system_error(ec);
  }
}

HttpResponse HttpClient::read_response(Clock::time_point deadline) {
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxResponseBytes);
  while (!parser.is_done()) {
    if (buffer_.size() > 0) {
      error_code ec;
      const std::size_t used = parser.put(buffer_.data(), ec);
      buffer_.consume(used);
      if (parser.is_done()) break;
      if (ec && ec != http::error::need_more) throw boost::system::system_error(ec);
      if (!ec && used > 0) continue;  // a part was parsed; the rest of the buffer may hold more
    }
    limit_to(SO_RCVTIMEO, deadline, "reading from");
    const auto space = buffer_.prepare(kReadChunk);
    const ssize_t n = ::recv(fd_, space.data(), space.size(), 0);
    if (n < 0) {
      if (errno == EINTR || timed_out(errno)) continue;  // limit_to() ends it at the deadline
      throw boost::system::system_error(last_error());
    }
    if (n == 0) {
      error_code ec;
      parser.put_eof(ec);
      if (ec || !parser.is_done()) throw boost::system::system_error(http::error::end_of_stream);
      break;
    }
    buffer_.commit(static_cast<std::size_t>(n));
  }
  http::response<http::string_body> res = parser.release();
  if (!res.keep_alive()) disconnect();
  return HttpResponse{res.result_int(), std::string(res.reason()),
                      std::string(res[http::field::content_type]), std::move(res.body())};
}

}  // namespace p11signd::cli
