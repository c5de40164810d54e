#include "cli/http_client.h"

#include <boost/beast/http.hpp>
#include <optional>
#include <utility>

namespace p11signd::cli {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;

constexpr std::size_t kMaxResponseBytes = 16 * 1024 * 1024;

// Boost 1.74's Beast has its own string_view type.
beast::string_view bsv(std::string_view s) { return {s.data(), s.size()}; }

http::verb parse_verb(std::string_view method) {
  const http::verb verb = http::string_to_verb(bsv(method));
  if (verb == http::verb::unknown) {
    throw std::invalid_argument("unknown HTTP method " + std::string(method));
  }
  return verb;
}

// The peer closed a kept-alive connection before answering: normal after its idle timeout.
bool closed_by_peer(error_code ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe;
}

}  // namespace

bool HttpResponse::is_json() const {
  return content_type.starts_with("application/json") ||
         content_type.find("+json") != std::string::npos;
}

HttpClient::HttpClient(std::string socket_path, std::chrono::milliseconds timeout)
    : socket_path_(std::move(socket_path)), timeout_(timeout), socket_(io_) {}

// Blocking calls on an Asio socket ignore SO_RCVTIMEO, so every step runs asynchronously on the
// private io_context for at most timeout_; a daemon that never answers then cannot hang a script
// forever.
template <class StartOp>
void HttpClient::run_with_deadline(StartOp start, const char* what) {
  error_code result = asio::error::would_block;
  start([&result](error_code ec, auto...) { result = ec; });
  io_.restart();
  io_.run_for(timeout_);
  if (result == asio::error::would_block) {
    error_code ignored;
    socket_.close(
        ignored);  // cancels the operation; let it finish before its handler's frame goes away
    connected_ = false;
    io_.restart();
    io_.run();
    throw TransportError(std::string(what) + " " + socket_path_ + ": no answer within " +
                         std::to_string(timeout_.count()) + " ms");
  }
  if (result) throw boost::system::system_error(result);
}

void HttpClient::connect() {
  error_code ignored;
  socket_.close(ignored);
  buffer_.consume(buffer_.size());
  connected_ = false;
  try {
    const asio::local::stream_protocol::endpoint endpoint(socket_path_);
    run_with_deadline([&](auto handler) { socket_.async_connect(endpoint, handler); },
                      "connecting to");
  } catch (const boost::system::system_error& e) {
    throw TransportError("cannot connect to " + socket_path_ + ": " + e.code().message());
  }
  connected_ = true;
}

HttpResponse HttpClient::request(std::string_view method, std::string_view target,
                                 std::string_view body, std::string_view content_type) {
  const bool reused = connected_;
  if (!connected_) connect();
  try {
    return exchange(method, target, body, content_type);
  } catch (const boost::system::system_error& e) {
    // Only a reused connection is retried, and only when the daemon hung up before any answer: the
    // request was then never processed. A fresh connection failing that way is a real error.
    if (!reused || !closed_by_peer(e.code())) {
      connected_ = false;
      throw TransportError("talking to " + socket_path_ + ": " + e.code().message());
    }
  }
  connect();
  try {
    return exchange(method, target, body, content_type);
  } catch (const boost::system::system_error& e) {
    connected_ = false;
    throw TransportError("talking to " + socket_path_ + ": " + e.code().message());
  }
}

HttpResponse HttpClient::exchange(std::string_view method, std::string_view target,
                                  std::string_view body, std::string_view content_type) {
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
  run_with_deadline([&](auto handler) { http::async_write(socket_, req, handler); }, "writing to");

  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxResponseBytes);
  run_with_deadline([&](auto handler) { http::async_read(socket_, buffer_, parser, handler); },
                    "reading from");
  http::response<http::string_body> res = parser.release();
  if (!res.keep_alive()) {
    error_code ignored;
    socket_.close(ignored);
    connected_ = false;
  }
  return HttpResponse{res.result_int(), std::string(res.reason()),
                      std::string(res[http::field::content_type]), std::move(res.body())};
}

}  // namespace p11signd::cli
