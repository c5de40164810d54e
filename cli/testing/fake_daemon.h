#pragma once
// A stand-in for p11signd in the client's tests: HTTP/1.1 on a temporary Unix socket, every request
// recorded, every answer canned by the test. One thread accepts, one thread serves each connection.

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace p11signd::cli::testing {

struct RecordedRequest {
  std::string method;
  std::string target;
  std::string content_type;
  std::string body;
};

struct CannedResponse {
  unsigned status = 200;
  std::string body = "{}";
  std::string content_type = "application/json";
  bool close = false;                  // answer with "Connection: close" and hang up
  std::chrono::milliseconds delay{0};  // wait this long before answering
};

class FakeDaemon {
 public:
  FakeDaemon();
  ~FakeDaemon();
  FakeDaemon(const FakeDaemon&) = delete;
  FakeDaemon& operator=(const FakeDaemon&) = delete;

  const std::string& socket_path() const { return socket_path_; }
  const std::string& dir() const { return dir_; }
  // The same answer to every request from now on.
  void respond(CannedResponse response);
  void respond_with(std::function<CannedResponse(const RecordedRequest&)> handler);
  std::vector<RecordedRequest> requests() const;
  // The one request a command was to send: a test failure when there were none or several (then the
  // first, or an empty one).
  RecordedRequest only_request() const;

 private:
  using Socket = boost::asio::local::stream_protocol::socket;
  void accept_loop();
  void serve(std::shared_ptr<Socket> socket);
  CannedResponse answer(const RecordedRequest& request);

  std::string dir_;
  std::string socket_path_;
  boost::asio::io_context io_;
  boost::asio::local::stream_protocol::acceptor acceptor_;
  mutable std::mutex mutex_;
  bool stopping_ = false;
  std::function<CannedResponse(const RecordedRequest&)> handler_;
  std::vector<RecordedRequest> requests_;
  std::vector<std::shared_ptr<Socket>> connections_;
  std::vector<std::thread> connection_threads_;
  std::thread acceptor_thread_;
};

}  // namespace p11signd::cli::testing
