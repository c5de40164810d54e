#include "daemon/server/listener.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace p11signd::daemon {
namespace {

using Protocol = boost::asio::local::stream_protocol;

// True when something accepts connections at path right now.
bool someone_listens(const std::string& path) {
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  const bool live = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return live;
}

void clear_stale(const std::string& path) {
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) return;  // nothing there
  if (!S_ISSOCK(st.st_mode)) {
    throw std::runtime_error("socket path " + path +
                             " exists and is not a socket; not touching it");
  }
  if (someone_listens(path)) {
    throw std::runtime_error("socket path " + path +
                             " is a live socket of another process (is p11signd running already?)");
  }
  if (unlink(path.c_str()) != 0) {
    throw std::runtime_error("cannot remove stale socket " + path + ": " + std::strerror(errno));
  }
}

}  // namespace

Listener open_listener(boost::asio::io_context& io, const DaemonSettings& settings,
                       bool allow_socket_activation) {
  if (allow_socket_activation) {
    const int n = sd_listen_fds(/*unset_environment=*/1);
    if (n < 0) throw std::runtime_error(std::string("sd_listen_fds: ") + std::strerror(-n));
    if (n > 0) {
      // The unit's ListenStream= socket: systemd created it with its own mode and owner.
      Protocol::acceptor acceptor(io);
      acceptor.assign(Protocol(), SD_LISTEN_FDS_START);
      return {std::move(acceptor), "", true};
    }
  }
  if (settings.socket.size() >= sizeof(sockaddr_un{}.sun_path)) {
    throw std::runtime_error("socket path " + settings.socket + " is too long for AF_UNIX");
  }
  clear_stale(settings.socket);
  Protocol::acceptor acceptor(io);
  acceptor.open(Protocol());
  boost::system::error_code ec;
  acceptor.bind(Protocol::endpoint(settings.socket), ec);
  if (ec) throw std::runtime_error("cannot create socket " + settings.socket + ": " + ec.message());
  // Before listen(): nobody can connect yet, so there is no window with the wrong group or mode.
  if (settings.socket_gid &&
      chown(settings.socket.c_str(), static_cast<uid_t>(-1), *settings.socket_gid) != 0) {
    const std::string why = std::strerror(errno);
    unlink(settings.socket.c_str());
    throw std::runtime_error("cannot give socket " + settings.socket + " to group " +
                             std::to_string(*settings.socket_gid) + " (socket-group): " + why +
                             "; the daemon's user must be a member of that group");
  }
  if (chmod(settings.socket.c_str(), static_cast<mode_t>(settings.socket_mode)) != 0) {
    const std::string why = std::strerror(errno);
    unlink(settings.socket.c_str());
    throw std::runtime_error("cannot chmod " + settings.socket + ": " + why);
  }
  acceptor.listen(SOMAXCONN);
  return {std::move(acceptor), settings.socket, false};
}

}  // namespace p11signd::daemon
