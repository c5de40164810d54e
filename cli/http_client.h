#pragma once
// HTTP/1.1 over a filesystem Unix socket, the way curl --unix-socket talks to the daemon. Knows
// nothing of p11sign's commands: a request goes out, a response comes back, and the connection is
// kept for the next one.

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <chrono>
#include <stdexcept>
#include <string>
#include <string_view>

namespace p11signd::cli {

struct HttpResponse {
  unsigned status = 0;
  std::string reason;
  std::string content_type;
  std::string body;

  bool ok() const { return status >= 200 && status < 300; }
  bool is_json() const;
};

// Connecting failed, the peer hung up, or the deadline passed: the request may not have been
// answered.
class TransportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class HttpClient {
 public:
  explicit HttpClient(std::string socket_path,
                      std::chrono::milliseconds timeout = std::chrono::seconds(60));
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // body is sent straight from the caller's memory, never copied, so a caller holding a secret (a
  // private key PEM for import) can wipe the only copy afterwards. Throws TransportError.
  HttpResponse request(std::string_view method, std::string_view target, std::string_view body = {},
                       std::string_view content_type = "application/json");

 private:
  void connect();
  HttpResponse exchange(std::string_view method, std::string_view target, std::string_view body,
                        std::string_view content_type);
  template <class StartOp>
  void run_with_deadline(StartOp start, const char* what);

  std::string socket_path_;
  std::chrono::milliseconds timeout_;
  boost::asio::io_context io_;
  boost::asio::local::stream_protocol::socket socket_;
  boost::beast::flat_buffer buffer_;
  bool connected_ = false;
};

}  // namespace p11signd::cli
