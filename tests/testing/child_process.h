#pragma once
// A program the tests run as a child process (p11signd, systemd-socket-activate): spawned with this
// process's environment, polled until ready, signalled, reaped; killed and reaped if a test ends
// while it still runs. The one place tests start processes.

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace p11signd::testing {

class ChildProcess final {
 public:
  enum class Output { kInherit, kStderrToFile, kBothToFile };

  ChildProcess() = default;
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Spawns argv[0] (a path) with argv; throws std::runtime_error naming the program when it cannot.
  // With an output file, the chosen streams go to it (created or truncated).
  void spawn(const std::vector<std::string>& argv, const std::string& output_path = "",
             Output output = Output::kStderrToFile);
  // Polls ready every 20 ms: true once it returns true; false when the process exits first or
  // timeout passes.
  bool wait_until(const std::function<bool()>& ready, std::chrono::milliseconds timeout);
  // The exit status (128 + N after signal N) once the process ended within timeout; nullopt while
  // it still runs.
  std::optional<int> wait_for_exit(std::chrono::milliseconds timeout);
  // True while the process runs (the same process: it was never restarted).
  bool running() const;
  void signal(int signal_number) const;
  // SIGTERM, then the exit status; -1 when it did not exit within 10 s.
  int stop();
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

}  // namespace p11signd::testing
