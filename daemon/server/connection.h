#pragma once
// One client connection: read a request (with deadlines and the body limit), hand it to the Api,
// write the answer, repeat while keep-alive. Requests are answered strictly in order, so pipelining
// works unchanged: the next request is read only once the answer to this one is out.
//
// A worker's answer is sent by the worker itself (daemon/server/direct_answer.h). While a request
// is with the Api the connection is "in flight": it waits for the client's next request to become
// readable and checks the idle deadline, and goes on once both the answer is out and it has
// something to do.

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <optional>

#include "daemon/server/direct_answer.h"
#include "daemon/server/read_buffer.h"
#include "daemon/server/server.h"

namespace p11signd::daemon {

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // lease: this connection's place in its uid's share, given back when it is destroyed.
  Connection(UnixSocket socket, Peer peer, Server& server, std::weak_ptr<Server*> handle,
             PeerLimits::LeasePtr lease);
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
  void refuse_request();
  void respond(Response res, bool close_after);
  void on_written(boost::system::error_code ec, bool close_after);
  void arm(std::chrono::milliseconds timeout);
  // In flight: the Api has the request and its answer may come from a worker.
  Api::DirectReply direct_reply();
  void await_answer();
  void on_readable_in_flight(boost::system::error_code ec);
  void arm_idle_check(std::chrono::steady_clock::duration after);
  void check_idle();
  void after_direct_answer(DirectAnswer::Sent sent);
  void next_request();
  // Every completion handler goes through here: an exception ends this connection - with a 500
  // and an audit line when an answer can still be sent, with the audit line alone otherwise -
  // and never the event loop.
  template <typename Handler>
  auto guarded(Handler handler);
  void fail_internal(const std::string& what) noexcept;

  UnixSocket socket_;
  Peer peer_;
  Server& server_;  // used only by handlers, which run while the server lives
  std::weak_ptr<Server*> server_handle_;
  boost::asio::steady_timer timer_;
  std::shared_ptr<DirectAnswer> direct_;  // shared with the worker that answers
  PeerLimits::LeasePtr connection_lease_;
  // The current request's place among its uid's requests in flight, from its header to its answer
  // (given back by whichever path answers, or when the last holder lets go).
  PeerLimits::LeasePtr request_lease_;
  ReadBuffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Request req_;
  Response res_;
  std::string rest_;  // the part of a worker's answer the loop writes
  unsigned timer_generation_ = 0;
  bool timed_out_ = false;
  bool waiting_idle_ = false;  // between requests, nothing received yet
  bool draining_ = false;
  bool replied_ = false;    // the loop answered the current request (it may have done so at once)
  bool writing_ = false;    // an answer is being written: no other may start
  bool in_flight_ = false;  // the Api has the request and has not answered through the loop
  bool closed_ = false;
};

}  // namespace p11signd::daemon
