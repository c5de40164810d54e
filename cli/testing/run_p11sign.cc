#include "cli/testing/run_p11sign.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <stdexcept>
#include <utility>

extern char** environ;

namespace p11signd::cli::testing {
namespace {

struct Pipe {
  int fds[2] = {-1, -1};
  explicit Pipe(int) {}
  Pipe() {
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  }
  ~Pipe() {
    for (int fd : fds) {
      if (fd >= 0) ::close(fd);
    }
  }
  // fds[0] the terminal the child reads, fds[1] the side that types into it.
  static Pipe terminal() {
    Pipe p(0);
    p.fds[1] = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (p.fds[1] < 0 || ::grantpt(p.fds[1]) != 0 || ::unlockpt(p.fds[1]) != 0) {
      throw std::runtime_error("posix_openpt failed");
    }
    p.fds[0] = ::open(::ptsname(p.fds[1]), O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (p.fds[0] < 0) throw std::runtime_error("opening the pseudo-terminal failed");
    return p;
  }
  Pipe(Pipe&& other) noexcept { std::swap(fds, other.fds); }
  void close_end(int i) {
    if (fds[i] >= 0) ::close(fds[i]);
    fds[i] = -1;
  }
};

std::vector<std::string> child_environment(const std::map<std::string, std::string>& overrides) {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e; ++e) {
    const std::string entry = *e;
    const auto eq = entry.find('=');
    if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  env.erase("P11SIGN_SOCKET");
  for (const auto& [name, value] : overrides) {
    if (value.empty()) {
      env.erase(name);
    } else {
      env[name] = value;
    }
  }
  std::vector<std::string> out;
  for (const auto& [name, value] : env) out.push_back(name + "=" + value);
  return out;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

pid_t spawn(std::vector<std::string> argv, std::vector<std::string> env, Pipe& in, Pipe& out,
            Pipe& err) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in.fds[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out.fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err.fds[1], STDERR_FILENO);
  std::vector<char*> c_argv = c_strings(argv);
  std::vector<char*> c_env = c_strings(env);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, P11SIGN_PATH, &actions, nullptr, c_argv.data(), c_env.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error(std::string("posix_spawn: ") + std::strerror(rc));
  return pid;
}

// Feeds stdin and drains stdout/stderr together, so that neither side can block the other on a full
// pipe.
// A terminal stays open until the child is done: closing it would hang it up and drop what was
// typed but not yet read.
bool pump(Pipe& in, Pipe& out, Pipe& err, const std::string& input, RunResult& result,
          int timeout_ms, bool terminal) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  std::size_t written = 0;
  bool typing = !input.empty() || terminal;
  if (!typing) in.close_end(1);
  while (out.fds[0] >= 0 || err.fds[0] >= 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd fds[3] = {
        {out.fds[0], POLLIN, 0}, {err.fds[0], POLLIN, 0}, {typing ? in.fds[1] : -1, POLLOUT, 0}};
    if (::poll(fds, 3, static_cast<int>(left.count())) < 0) continue;
    if (fds[2].revents & (POLLOUT | POLLERR | POLLHUP)) {
      const ssize_t n = ::write(in.fds[1], input.data() + written, input.size() - written);
      if (n > 0) written += static_cast<std::size_t>(n);
      if (n < 0 || written == input.size()) {
        typing = false;
        if (!terminal) in.close_end(1);
      }
    }
    for (int i = 0; i < 2; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[4096];
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        (i == 0 ? result.out : result.err).append(buf, static_cast<std::size_t>(n));
      } else {
        (i == 0 ? out : err).close_end(0);
      }
    }
  }
  return true;
}

}  // namespace

RunResult run_p11sign(const std::vector<std::string>& args, const RunOptions& options) {
  ::signal(SIGPIPE, SIG_IGN);  // a child that exits before reading its stdin must not kill the test
  Pipe in = options.stdin_terminal ? Pipe::terminal() : Pipe();
  Pipe out, err;
  std::vector<std::string> argv{"p11sign"};
  argv.insert(argv.end(), args.begin(), args.end());
  const pid_t pid = spawn(argv, child_environment(options.env), in, out, err);
  in.close_end(0);
  out.close_end(1);
  err.close_end(1);
  RunResult result;
  const bool finished =
      pump(in, out, err, options.stdin_data, result, options.timeout_ms, options.stdin_terminal);
  if (!finished) ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (finished && WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  return result;
}

}  // namespace p11signd::cli::testing
