#pragma once
// The p11signd executable as a child process: started with a configuration file, waited for until
// it answers on its socket, stopped with SIGTERM (or killed when the test ends first).

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>

namespace p11signd::testing {

class DaemonProcess final {
 public:
  DaemonProcess() = default;
  ~DaemonProcess();
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  // Spawns `p11signd --config config` with this process's environment; its standard error goes to
  // the file stderr_path when one is given.
  void spawn(const std::string& config, const std::string& stderr_path = "");
  // True once the daemon answers GET /v1/health on socket (with any status).
  bool wait_until_answering(const std::string& socket, std::chrono::milliseconds timeout);
  // The exit status once the process ended within timeout; nullopt if it still runs.
  std::optional<int> wait_for_exit(std::chrono::milliseconds timeout);
  // True while the process runs (the same process: it was never restarted).
  bool running() const;
  // SIGTERM, then the exit status.
  int stop();
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

}  // namespace p11signd::testing
