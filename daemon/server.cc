#include "daemon/server.h"

#include <boost/asio/write.hpp>
#include <sstream>

#include "daemon/connection.h"

namespace p11signd::daemon {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;

}  // namespace

Server::Server(UnixAcceptor acceptor, Api& api, ServerLimits limits)
    : acceptor_(std::move(acceptor)), api_(api), limits_(limits) {}

Server::~Server() {
  handle_.reset();
  close_all();
}

void Server::start() { accept(); }

void Server::accept() {
  acceptor_.async_accept([this](error_code ec, UnixSocket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (!ec) {
      auto peer = identify_peer(socket.native_handle());
      if (!peer) {
        error_code ignored;
        socket.close(ignored);  // the kernel always knows a Unix peer; if not, refuse silently
      } else if (connections_.size() >= limits_.max_connections) {
        refuse(std::move(socket));
      } else {
        auto c = std::make_shared<Connection>(std::move(socket), std::move(*peer), *this, handle_);
        connections_[c.get()] = c;
        c->start();
      }
    }
    // Accept errors such as EMFILE must not end the loop: try again on the next turn.
    accept();
  });
}

void Server::refuse(UnixSocket socket) {
  api_.count_transport_answer(503);
  auto s = std::make_shared<UnixSocket>(std::move(socket));
  auto res = std::make_shared<std::string>();
  Response r = error_response(http::status::service_unavailable, "too_many_connections",
                              "the daemon serves " + std::to_string(limits_.max_connections) +
                                  " connections at most (max-connections)");
  r.keep_alive(false);
  std::ostringstream out;
  out << r;
  *res = out.str();
  asio::async_write(*s, asio::buffer(*res), [s, res](error_code, std::size_t) {
    error_code ignored;
    s->shutdown(UnixSocket::shutdown_send, ignored);
    s->close(ignored);
  });
}

void Server::forget(Connection* c) {
  connections_.erase(c);
  if (draining_ && connections_.empty() && on_drained_) {
    auto done = std::move(on_drained_);
    on_drained_ = nullptr;
    done();
  }
}

void Server::drain(std::function<void()> on_drained) {
  draining_ = true;
  on_drained_ = std::move(on_drained);
  error_code ignored;
  acceptor_.close(ignored);
  // Copy first: drain() may close a connection, which removes it from the map.
  std::vector<std::shared_ptr<Connection>> live;
  for (auto& [ptr, weak] : connections_) {
    if (auto c = weak.lock()) live.push_back(c);
  }
  for (auto& c : live) c->drain();
  live.clear();
  if (connections_.empty() && on_drained_) {
    auto done = std::move(on_drained_);
    on_drained_ = nullptr;
    done();
  }
}

void Server::close_all() {
  error_code ignored;
  acceptor_.close(ignored);
  std::vector<std::shared_ptr<Connection>> live;
  for (auto& [ptr, weak] : connections_) {
    if (auto c = weak.lock()) live.push_back(c);
  }
  for (auto& c : live) c->close();
}

}  // namespace p11signd::daemon
