#pragma once
// Runs the real p11sign binary (P11SIGN_PATH, set by CMake) as a child process: arguments, standard
// input and environment in; exit status, standard output and standard error out.

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace p11signd::cli::testing {

struct RunResult {
  int exit_code = -1;  // -1: killed by a signal or by the time limit
  std::string out;
  std::string err;
};

struct RunOptions {
  std::string stdin_data;
  // Set (or, with an empty value, remove) variables in the child's environment. P11SIGN_SOCKET is
  // always removed unless given here, so that the developer's own setting cannot leak into a test.
  std::map<std::string, std::string> env;
  int timeout_ms = 20000;
  // Standard input is a terminal (a pseudo-terminal whose other end gets stdin_data), as when a
  // user runs the command by hand; end stdin_data with "\x04" (Ctrl-D) to end the input.
  bool stdin_terminal = false;
};

inline RunOptions with_stdin(std::string data) {
  RunOptions options;
  options.stdin_data = std::move(data);
  return options;
}
inline RunOptions with_env(const std::string& name, const std::string& value) {
  RunOptions options;
  options.env[name] = value;
  return options;
}

RunResult run_p11sign(const std::vector<std::string>& args, const RunOptions& options = {});

}  // namespace p11signd::cli::testing
