#include "tests/faults/daemon_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <array>
#include <stdexcept>
#include <thread>

#include "daemon/test_support.h"

extern char** environ;

namespace p11signd::testing {

DaemonProcess::~DaemonProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

void DaemonProcess::spawn(const std::string& config, const std::string& stderr_path) {
  std::array<const char*, 4> argv{P11SIGND_BINARY, "--config", config.c_str(), nullptr};
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  if (!stderr_path.empty()) {
    ::posix_spawn_file_actions_addopen(&actions, 2, stderr_path.c_str(),
                                       O_WRONLY | O_CREAT | O_TRUNC, 0600);
  }
  const int rc = ::posix_spawn(&pid_, P11SIGND_BINARY, &actions, nullptr,
                               const_cast<char**>(argv.data()), environ);
  ::posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + std::string(P11SIGND_BINARY));
}

bool DaemonProcess::wait_until_answering(const std::string& socket,
                                         std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until && running()) {
    try {
      daemon::testing::Client c(socket);
      c.get("/v1/health");
      return true;
    } catch (const std::exception&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  return false;
}

std::optional<int> DaemonProcess::wait_for_exit(std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  do {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  } while (std::chrono::steady_clock::now() < until);
  return std::nullopt;
}

bool DaemonProcess::running() const { return pid_ > 0 && ::kill(pid_, 0) == 0; }

int DaemonProcess::stop() {
  ::kill(pid_, SIGTERM);
  return wait_for_exit(std::chrono::seconds(10)).value_or(-1);
}

}  // namespace p11signd::testing
