#include "daemon/server/server.h"

#include <sys/socket.h>

#include <boost/asio/write.hpp>

#include "daemon/server/connection.h"
#include "daemon/server/direct_answer.h"
#include "daemon/server/loop_guard.h"

namespace p11signd::daemon {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;

}  // namespace

Server::Server(UnixAcceptor acceptor, Api& api, ServerLimits limits)
    : acceptor_(std::move(acceptor)),
      api_(api),
      limits_(limits),
      per_uid_(limits.per_uid),
      accept_timer_(acceptor_.get_executor()) {}

Server::~Server() {
  handle_.reset();
  close_all();
}

void Server::start() { accept(); }

void Server::accept() {
  acceptor_.async_accept([this](error_code ec, UnixSocket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) return accept_later(ec);
    backoff_.after_success();
    try {
      admit(std::move(socket));
    } catch (...) {  // this connection is lost (its socket closes); the next one is accepted
      log_handler_failure("accepting a connection", what_of(std::current_exception()));
    }
    accept();
  });
}

// EMFILE and the like: nothing frees a descriptor by trying again at once.
void Server::accept_later(error_code ec) {
  const auto wait = backoff_.after_failure();
  log_handler_failure(
      "accept", ec.message() + "; accepting again in " + std::to_string(wait.count()) + " ms");
  accept_timer_.expires_after(wait);
  accept_timer_.async_wait([this](error_code tec) {
    if (tec || !acceptor_.is_open()) return;
    accept();
  });
}

// The limits that need only the uid are checked first: a refused peer costs no look-up of its
// groups and program.
void Server::admit(UnixSocket socket) {
  const auto cred = peer_credentials(socket.native_handle());
  if (!cred) return;  // the kernel always knows a Unix peer; if not, refuse silently (closed)
  if (connections_.size() >= limits_.max_connections) {
    return refuse(std::move(socket), *cred, "too_many_connections",
                  "the daemon serves " + std::to_string(limits_.max_connections) +
                      " connections at most (max-connections)");
  }
  auto lease = per_uid_.open_connection(cred->uid);
  if (!lease) {
    return refuse(std::move(socket), *cred, "too_many_connections_per_uid",
                  "uid " + std::to_string(cred->uid) + " holds " +
                      std::to_string(limits_.per_uid.connections_per_uid) +
                      " connections, the most one uid may (max-connections-per-uid)");
  }
  Peer peer = identify_peer(socket.native_handle(), *cred);
  auto c = std::make_shared<Connection>(std::move(socket), std::move(peer), *this, handle_,
                                        std::move(lease));
  connections_[c.get()] = c;
  c->start();
}

void Server::refuse(UnixSocket socket, const Peer& peer, const std::string& code,
                    const std::string& message) {
  api_.record_refusal(peer, 503, code, message);
  auto s = std::make_shared<UnixSocket>(std::move(socket));
  auto res = std::make_shared<std::string>();
  Response r = error_response(http::status::service_unavailable, code, message);
  r.keep_alive(false);
  *res = serialize(r);
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
  accept_timer_.cancel();
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
  accept_timer_.cancel();
  std::vector<std::shared_ptr<Connection>> live;
  for (auto& [ptr, weak] : connections_) {
    if (auto c = weak.lock()) live.push_back(c);
  }
  for (auto& c : live) c->close();
}

}  // namespace p11signd::daemon
