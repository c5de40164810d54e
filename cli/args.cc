#include "cli/args.h"

#include <algorithm>
#include <cctype>

#include "cli/errors.h"
#include "common/nearest_name.h"
#include "common/option_errors.h"
#include "common/sign_alg.h"

namespace p11signd::cli {

namespace po = boost::program_options;

namespace {

// " (did you mean '--signature'?)" for "--sigature", among the command's options.
std::string nearest_option(const std::string& typed, const po::options_description& options) {
  if (holds_option_placeholder(typed)) return "";
  std::vector<std::string> names;
  for (const auto& option : options.options()) names.push_back("--" + option->long_name());
  return did_you_mean(typed, names);
}

}  // namespace

std::string ParsedArgs::positional(const std::string& name) const {
  if (!vm.count(name)) {
    std::string upper = name;
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    throw UsageError("missing " + upper);
  }
  return vm[name].as<std::string>();
}

std::optional<std::string> ParsedArgs::get(const std::string& option) const {
  if (!vm.count(option)) return std::nullopt;
  return vm[option].as<std::string>();
}

void check_alg(const std::string& alg) {
  if (!parse_sign_alg(alg)) {
    throw UsageError(
        "--alg: RSA-SHA256, RSA-PSS-SHA256, RSA-PSS-SHA512, ECDSA-SHA256, ECDSA-SHA384 or Ed25519, "
        "not '" +
        alg + "'");
  }
}

ParsedArgs parse_args(const Args& args, const po::options_description& options,
                      const std::vector<std::string>& positional_names,
                      const std::optional<std::string>& rest_name) {
  po::options_description all;
  all.add(options);
  po::positional_options_description positional;
  for (const std::string& name : positional_names) {
    all.add_options()(name.c_str(), po::value<std::string>());
    positional.add(name.c_str(), 1);
  }
  if (rest_name) {
    all.add_options()(rest_name->c_str(), po::value<std::vector<std::string>>());
    positional.add(rest_name->c_str(), -1);
  }
  ParsedArgs parsed;
  try {
    po::store(
        po::command_line_parser(args).options(all).positional(positional).style(kOptionStyle).run(),
        parsed.vm);
    po::notify(parsed.vm);
  } catch (const po::unknown_option& e) {
    throw UsageError(describe_option_error(e, args) + nearest_option(e.get_option_name(), options));
  } catch (const po::error& e) {
    throw UsageError(describe_option_error(e, args));
  }
  return parsed;
}

}  // namespace p11signd::cli
