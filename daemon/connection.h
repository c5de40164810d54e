#pragma once
// One client connection: read a request (with deadlines and the body limit), hand it to the Api,
// write the answer, repeat while keep-alive. Requests are answered strictly in order, so pipelining
// works unchanged.

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <optional>

#include "daemon/read_buffer.h"
#include "daemon/server.h"

namespace p11signd::daemon {

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(UnixSocket socket, Peer peer, Server& server, std::weak_ptr<Server*> handle);
  ~Connection();
  void start();
  void drain();  // finish the current request (if any), then close
  void close();

 private:
  void wait_for_request();
  void read_header();
  void on_header(boost::system::error_code ec);
  void on_body(boost::system::error_code ec);
  void fail_read(boost::system::error_code ec);
  void respond(Response res, bool close_after);
  void on_written(boost::system::error_code ec, bool close_after);
  void arm(std::chrono::milliseconds timeout);

  UnixSocket socket_;
  Peer peer_;
  Server& server_;  // used only by handlers, which run while the server lives
  std::weak_ptr<Server*> server_handle_;
  boost::asio::steady_timer timer_;
  ReadBuffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Request req_;
  Response res_;
  unsigned timer_generation_ = 0;
  bool timed_out_ = false;
  bool waiting_idle_ = false;  // between requests, nothing received yet
  bool draining_ = false;
  bool closed_ = false;
};

}  // namespace p11signd::daemon
