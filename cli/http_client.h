#pragma once
// HTTP/1.1 over a filesystem Unix socket, the way curl --unix-socket talks to the daemon. Knows
// nothing of p11sign's commands: a request goes out, a response comes back, and the connection is
// kept for the next one.
//
// A plain blocking socket with kernel timeouts, and Beast's serializer and parser over it: one
// sendmsg and usually one recv per request. `p11sign bench` runs on the same cores as the daemon it
// measures, so every system call and wake-up the client saves is throughput the daemon keeps.

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
  explicit TransportError(const std::string& message, int connect_errno = 0)
      : std::runtime_error(message), connect_errno_(connect_errno) {}
  // The errno of a connect() that failed (ENOENT, ECONNREFUSED, EACCES...); 0 for other failures.
  int connect_errno() const { return connect_errno_; }

 private:
  int connect_errno_;
};

class HttpClient {
 public:
  explicit HttpClient(std::string socket_path,
                      std::chrono::milliseconds timeout = std::chrono::seconds(60));
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // body is sent straight from the caller's memory, never copied, so a caller holding a secret (a
  // private key PEM for import) can wipe the only copy afterwards. Throws TransportError.
  HttpResponse request(std::string_view method, std::string_view target, std::string_view body = {},
                       std::string_view content_type = "application/json");

 private:
  using Clock = std::chrono::steady_clock;
  void connect();
  void disconnect();
  HttpResponse exchange(std::string_view method, std::string_view target, std::string_view body,
                        std::string_view content_type);
  void send_request(std::string_view method, std::string_view target, std::string_view body,
                    std::string_view content_type, Clock::time_point deadline);
  HttpResponse read_response(Clock::time_point deadline);
  // Sets the socket's send or receive timeout to what is left until deadline (SO_SNDTIMEO or
  // SO_RCVTIMEO); throws TransportError naming `what` when nothing is left.
  void limit_to(int option, Clock::time_point deadline, const char* what);
  TransportError timeout_error(const char* what) const;  // "WHAT PATH: no answer within N ms"
  TransportError connect_error(int err) const;           // "cannot connect to PATH: REASON"

  std::string socket_path_;
  std::chrono::milliseconds timeout_;
  int fd_ = -1;
  // The timeout each direction's option holds now: set again only when the deadline is nearer.
  std::chrono::microseconds send_limit_{0};
  std::chrono::microseconds receive_limit_{0};
  boost::beast::flat_buffer buffer_;  // bytes received and not yet parsed
};

}  // namespace p11signd::cli
