// p11sign: the command-line client of p11signd. Global options (--socket, --timeout) may come
// anywhere; every other word after the command name belongs to the command. Exit status: 0
// success, 1 refused or failed, 2 usage error.

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <optional>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/errors.h"
#include "common/nearest_name.h"
#include "common/option_errors.h"

namespace p11signd::cli {
namespace {

namespace po = boost::program_options;

constexpr const char* kDefaultSocket = "/run/p11signd/p11signd.sock";
constexpr double kDefaultTimeoutSeconds = 60;

// Calls f with each line of a usage text (several forms of a command are separated by '\n').
template <class F>
void for_each_line(std::string_view text, F f) {
  for (std::size_t nl; (nl = text.find('\n')) != std::string_view::npos;
       text.remove_prefix(nl + 1)) {
    f(text.substr(0, nl));
  }
  f(text);
}

void print_usage(std::ostream& os) {
  os << "usage: p11sign [--socket PATH] [--timeout SECONDS] COMMAND [ARGS]\n\ncommands:\n";
  for (const Command& c : commands()) {
    for_each_line(c.usage, [&os](std::string_view line) { os << "  " << line << '\n'; });
  }
  os << "\n--socket and --timeout may also follow the command. --socket defaults to "
        "$P11SIGN_SOCKET, else "
     << kDefaultSocket << "; --timeout (per request) to " << kDefaultTimeoutSeconds
     << " seconds.\nExit status: 0 success, 1 refused or failed (the daemon's message on stderr), "
        "2 "
        "usage.\n";
}

void print_command_usage(std::ostream& os, std::string_view usage) {
  for_each_line(usage, [&os](std::string_view line) {
    os << "usage: p11sign [--socket PATH] " << line << '\n';
  });
}

constexpr const char* kGlobalOptions[] = {"socket", "timeout"};

// "--socket PATH", "--socket=PATH" (and the same for --timeout) at the front of tokens, as the
// option with its value; nothing when the tokens start otherwise. An empty value is kept, to be
// judged like any other: Boost would look the empty word up as an option name, which every option
// matches ("option is ambiguous"), or complain about the equal sign.
std::optional<po::option> take_global_option(std::vector<std::string>& tokens, std::size_t at) {
  for (const std::string name : kGlobalOptions) {
    const std::string flag = "--" + name;
    std::size_t used = 0;
    po::option opt(name, {});
    if (tokens[at] == flag) {  // without a next word, Boost says the value is missing
      if (at + 1 < tokens.size()) opt.value.push_back(tokens[at + 1]);
      used = opt.value.size() + 1;
    } else if (tokens[at].starts_with(flag + "=")) {
      opt.value.push_back(tokens[at].substr(flag.size() + 1));
      used = 1;
    } else {
      continue;
    }
    opt.original_tokens.assign(tokens.begin() + at, tokens.begin() + at + used);
    tokens.erase(tokens.begin() + at, tokens.begin() + at + used);
    return opt;
  }
  return std::nullopt;
}

// From the command name on, every token is the command's (options included, so that
// `p11sign sign demo --in -` never has its "--in" judged as a global option), except the global
// options, which may come anywhere: `p11sign keys --socket X` is what people type.
std::vector<po::option> rest_after_command(std::vector<std::string>& tokens) {
  std::vector<po::option> rest;
  if (tokens.empty() || tokens.front().starts_with('-')) return rest;
  while (!tokens.empty()) {
    if (auto global = take_global_option(tokens, 0)) {
      rest.push_back(std::move(*global));
      continue;
    }
    po::option word;
    word.value.push_back(tokens.front());
    word.original_tokens.push_back(tokens.front());
    rest.push_back(std::move(word));
    tokens.erase(tokens.begin());
  }
  return rest;
}

std::vector<po::option> option_with_empty_value(std::vector<std::string>& tokens) {
  const bool empty_value = (tokens.size() >= 2 && tokens[1].empty()) || tokens[0].ends_with('=');
  if (!empty_value) return {};
  if (auto global = take_global_option(tokens, 0)) return {std::move(*global)};
  return {};
}

std::vector<po::option> global_style_parser(std::vector<std::string>& tokens) {
  std::vector<po::option> rest = rest_after_command(tokens);
  return rest.empty() ? option_with_empty_value(tokens) : rest;
}

// The global options, and the command with its arguments.
struct CommandLine {
  po::variables_map options;
  std::vector<std::string> words;  // COMMAND [ARGS]
};

// The command and its arguments are the unnamed (positional) tokens; they are not options, so that
// no --command or --args can stand in for them.
CommandLine parse_global(int argc, char** argv) {
  po::options_description all;
  all.add_options()("socket", po::value<std::string>())("timeout", po::value<double>())(
      "help,h", "")("version", "");
  CommandLine line;
  try {
    const po::parsed_options parsed = po::command_line_parser(argc, argv)
                                          .options(all)
                                          .style(kOptionStyle)
                                          .extra_style_parser(global_style_parser)
                                          .run();
    po::store(parsed, line.options);
    for (const po::option& opt : parsed.options) {
      if (opt.string_key.empty()) line.words.push_back(opt.value.front());
    }
  } catch (const po::error& e) {
    throw UsageError(describe_option_error(e, std::vector<std::string>(argv + 1, argv + argc)));
  }
  return line;
}

struct Socket {
  std::string path;
  SocketOrigin origin;
};

Socket socket_path(const po::variables_map& vm) {
  if (!vm.count("socket")) {
    const char* env = std::getenv("P11SIGN_SOCKET");
    if (env && *env) return {env, SocketOrigin::kEnvironment};
    return {kDefaultSocket, SocketOrigin::kDefault};
  }
  const std::string path = vm["socket"].as<std::string>();
  if (path.empty()) throw UsageError("--socket needs a PATH");
  return {path, SocketOrigin::kFlag};
}

std::chrono::milliseconds request_timeout(const po::variables_map& vm) {
  const double seconds = vm.count("timeout") ? vm["timeout"].as<double>() : kDefaultTimeoutSeconds;
  if (!(seconds > 0 && seconds <= 86400))
    throw UsageError("--timeout: more than 0, at most 86400 seconds");
  return std::chrono::milliseconds(static_cast<long>(seconds * 1000 + 0.5));
}

bool wants_help(const Args& args) {
  for (const std::string& a : args) {
    if (a == "--help" || a == "-h") return true;
  }
  return false;
}

int run(int argc, char** argv) {
  const CommandLine line = parse_global(argc, argv);
  const po::variables_map& vm = line.options;
  if (vm.count("help")) return print_usage(std::cout), 0;
  if (vm.count("version")) return std::cout << "p11sign " << P11SIGN_VERSION << '\n', 0;
  if (line.words.empty()) throw UsageError("missing COMMAND");
  const std::string& name = line.words.front();
  const Command* command = find_command(name);
  if (!command) {
    std::vector<std::string> names;
    for (const Command& c : commands()) names.emplace_back(c.name);
    throw UsageError("unknown command '" + name + "'" + did_you_mean(name, names));
  }
  const Args args(line.words.begin() + 1, line.words.end());
  if (wants_help(args)) return print_command_usage(std::cout, command->usage), 0;
  const Socket socket = socket_path(vm);
  Context ctx{socket.path, socket.origin, request_timeout(vm), std::cout};
  try {
    return command->run(args, ctx);
  } catch (const UsageError& e) {
    if (!e.usage().empty()) throw;
    throw UsageError(e.what(), std::string(command->usage));
  }
}

}  // namespace
}  // namespace p11signd::cli

int main(int argc, char** argv) {
  using namespace p11signd::cli;
  try {
    return run(argc, argv);
  } catch (const UsageError& e) {
    std::cerr << "p11sign: " << e.what() << '\n';
    if (e.usage().empty()) {
      std::cerr << "usage: p11sign [--socket PATH] [--timeout SECONDS] COMMAND [ARGS]  (p11sign "
                   "--help lists the commands)\n";
    } else {
      print_command_usage(std::cerr, e.usage());
    }
    return 2;
  } catch (const Failure& e) {
    std::cerr << "p11sign: " << e.what() << '\n';
    if (!e.hint().empty()) std::cerr << "p11sign: " << e.hint() << '\n';
    return 1;
  } catch (const std::exception& e) {  // anything unexpected: the operation did not happen
    std::cerr << "p11sign: " << e.what() << '\n';
    return 1;
  }
}
