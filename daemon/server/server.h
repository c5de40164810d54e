#pragma once
// HTTP/1.1 over a Unix stream socket with Boost.Beast (after Beast's advanced server and Asio's
// HTTP server example): keep-alive, pipelined requests answered in order, a body limit checked on
// the header (413 before the body is read), a read deadline (408), an idle deadline for keep-alive
// connections, a connection cap, and each uid's fair share of connections and requests in flight
// (daemon/access/peer_limits.h). Runs on one event-loop thread; signing happens on the WorkerPool
// behind the Api.

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>

#include "daemon/access/peer_limits.h"
#include "daemon/routes/api.h"
#include "daemon/server/accept_backoff.h"

namespace p11signd::daemon {

using UnixSocket = boost::asio::local::stream_protocol::socket;
using UnixAcceptor = boost::asio::local::stream_protocol::acceptor;

struct ServerLimits {
  std::size_t max_request_bytes = 65536;
  std::chrono::milliseconds read_timeout{10000};
  std::chrono::milliseconds idle_timeout{60000};
  std::size_t max_connections = 1024;
  PeerLimitSettings per_uid;
};

class Connection;

class Server {
 public:
  Server(UnixAcceptor acceptor, Api& api, ServerLimits limits);
  ~Server();

  void start();
  // Stops accepting; idle connections close now, busy ones after their current answer. on_drained
  // runs once when the last connection is gone.
  void drain(std::function<void()> on_drained);
  // Closes every connection at once (the drain deadline passed).
  void close_all();
  std::size_t connections() const { return connections_.size(); }

 private:
  friend class Connection;
  void accept();
  void accept_later(boost::system::error_code ec);
  void admit(UnixSocket socket);
  void refuse(UnixSocket socket, const Peer& peer, const std::string& code,
              const std::string& message);
  void forget(Connection* c);

  UnixAcceptor acceptor_;
  Api& api_;
  const ServerLimits limits_;
  PeerLimits per_uid_;
  AcceptBackoff backoff_;
  boost::asio::steady_timer accept_timer_;
  std::map<Connection*, std::weak_ptr<Connection>> connections_;
  bool draining_ = false;
  std::function<void()> on_drained_;
  // Connections outlive the server when the event loop is torn down with handlers pending; they
  // reach the server through this handle, which dies with it.
  std::shared_ptr<Server*> handle_ = std::make_shared<Server*>(this);
};

}  // namespace p11signd::daemon
