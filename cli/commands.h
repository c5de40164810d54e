#pragma once
// The p11sign commands of docs/client.md, one small function each, found by name from main().

#include <chrono>
#include <ostream>
#include <span>
#include <string>
#include <string_view>

#include "cli/args.h"

namespace p11signd::cli {

// Where the socket path came from, for the hint when nothing answers there.
enum class SocketOrigin { kFlag, kEnvironment, kDefault };

struct Context {
  std::string socket_path;
  SocketOrigin socket_origin;
  std::chrono::milliseconds timeout;  // per request: connect, send, answer
  std::ostream& out;
};

struct Command {
  std::string_view name;
  std::string_view usage;  // after "p11sign [--socket PATH] "; several forms are separated by '\n'
  int (*run)(const Args& args, Context& ctx);  // exit status; throws Failure or UsageError
};

std::span<const Command> commands();
const Command* find_command(std::string_view name);

// Defined beside the commands they belong to (admin_commands.cc, key_command.cc, bench.cc,
// audit_command.cc).
int keygen_command(const Args& args, Context& ctx);
int import_command(const Args& args, Context& ctx);
int certificate_command(const Args& args, Context& ctx);
int csr_command(const Args& args, Context& ctx);
int key_command(const Args& args, Context& ctx);
int bench_command(const Args& args, Context& ctx);
int audit_command(const Args& args, Context& ctx);

}  // namespace p11signd::cli
