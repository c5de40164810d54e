#pragma once
// How a command ends badly. main() maps these to the exit codes of docs/client.md: a Failure (the
// daemon refused, the socket is unreachable, an input file is unreadable) is 1, a UsageError is 2.

#include <stdexcept>
#include <string>
#include <utility>

namespace p11signd::cli {

class Failure : public std::runtime_error {
 public:
  explicit Failure(const std::string& message, std::string hint = {})
      : std::runtime_error(message), hint_(std::move(hint)) {}
  // What to try next, printed on a line of its own; empty when there is nothing useful to say.
  const std::string& hint() const { return hint_; }

 private:
  std::string hint_;
};

class UsageError : public std::runtime_error {
 public:
  explicit UsageError(const std::string& message, std::string usage = {})
      : std::runtime_error(message), usage_(std::move(usage)) {}
  // The usage line of the command that was misused; empty: print the general usage.
  const std::string& usage() const { return usage_; }

 private:
  std::string usage_;
};

}  // namespace p11signd::cli
