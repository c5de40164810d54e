#pragma once
// Command-line parsing shared by the commands: each command describes its options and positional
// names, and gets a variables_map back or a UsageError that main() turns into exit status 2.

#include <boost/program_options.hpp>
#include <optional>
#include <string>
#include <vector>

namespace p11signd::cli {

using Args = std::vector<std::string>;

struct ParsedArgs {
  boost::program_options::variables_map vm;

  // A positional argument that must be there; the UsageError names it in capitals, as the usage
  // line does.
  std::string positional(const std::string& name) const;
  std::optional<std::string> get(const std::string& option) const;
  bool has(const std::string& option) const { return vm.count(option) > 0; }
};

// Long-option abbreviations are off: "--s" must not silently become "--subject" or "--socket".
constexpr int kOptionStyle = boost::program_options::command_line_style::default_style &
                             ~boost::program_options::command_line_style::allow_guessing;

// Throws a UsageError unless alg is one of the algorithms the daemon signs with.
void check_alg(const std::string& alg);

// positional_names take one word each, in order; rest_name, when given, takes every word after them
// (a std::vector<std::string>, absent when there are none).
ParsedArgs parse_args(const Args& args, const boost::program_options::options_description& options,
                      const std::vector<std::string>& positional_names,
                      const std::optional<std::string>& rest_name = std::nullopt);

}  // namespace p11signd::cli
