#pragma once
// How a command ends badly. main() maps these to the exit codes of interface.md: a Failure (the
// daemon refused, the socket is unreachable, an input file is unreadable) is 1, a UsageError is 2.

#include <stdexcept>
#include <string>
#include <utility>

namespace p11signd::cli {

class Failure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
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
