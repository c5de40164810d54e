#pragma once
// The listening socket: adopted from systemd (socket activation), or created at the configured path
// with socket-group and socket-mode. A path that is a live socket of another process is never taken
// over; a stale one is replaced.

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <string>

#include "daemon/config/config.h"

namespace p11signd::daemon {

struct Listener {
  boost::asio::local::stream_protocol::acceptor acceptor;
  std::string created_path;  // the path to unlink at exit; empty when systemd owns the socket
  bool from_systemd = false;
};

// Throws std::runtime_error with a message that names the path and the reason.
Listener open_listener(boost::asio::io_context& io, const DaemonSettings& settings,
                       bool allow_socket_activation);

}  // namespace p11signd::daemon
