// p11sign key rotate|activate|retire|destroy|versions|set: a key's versions (docs/operations.md,
// "Rotating a key"). Every change is an admin route answering with the key's versions after it,
// printed as the table `key versions` prints (--json: the answer as it came).

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/daemon_call.h"
#include "cli/errors.h"
#include "cli/input.h"
#include "cli/key_args.h"
#include "cli/versions_table.h"
#include "common/nearest_name.h"
#include "common/option_errors.h"

namespace p11signd::cli {
namespace {

namespace po = boost::program_options;
using Json = nlohmann::ordered_json;

struct KeySubcommand {
  std::string_view name;
  std::string_view usage;  // after "p11sign [--socket PATH] key "
  int (*run)(const Args& args, Context& ctx);
};

po::options_description json_option() {
  po::options_description opts;
  opts.add_options()("json", po::bool_switch());
  return opts;
}

std::string versions_path(const std::string& name, std::string_view suffix = {}) {
  return key_path(name, "/versions" + std::string(suffix));
}

std::string version_path(const std::string& name, unsigned version, std::string_view suffix = {}) {
  return versions_path(name, "/" + std::to_string(version) + std::string(suffix));
}

void print_versions(Context& ctx, const HttpResponse& res, bool json) {
  if (json) return print_json(ctx, res);
  const Json answer = Json::parse(res.body, nullptr, false);
  ctx.out << versions_table(answer);
}

int versions_subcommand(const Args& args, Context& ctx) {
  const ParsedArgs p = parse_args(args, json_option(), {"name"});
  const std::string name = p.positional("name");
  print_versions(ctx, call_daemon(ctx, "GET", versions_path(name)), p.vm["json"].as<bool>());
  return 0;
}

bool looks_like_private_key_pem(const SecretString& pem) {
  return pem.find("-----BEGIN ") != SecretString::npos &&
         pem.find("PRIVATE KEY-----") != SecretString::npos;
}

// {"pem":PEM} written straight into wiped memory, as `p11sign import` sends its key.
HttpResponse rotate_import(Context& ctx, const std::string& name, const std::string& path) {
  const SecretString pem = read_secret_file(path);
  if (!looks_like_private_key_pem(pem)) throw Failure(path + ": not a PEM private key");
  SecretString body;
  body.reserve(pem.size() + pem.size() / 8 + 16);
  body += "{\"pem\":";
  append_json_string(body, pem);
  body += "}";
  return call_daemon(ctx, "POST", versions_path(name), {body.data(), body.size()});
}

int rotate_subcommand(const Args& args, Context& ctx) {
  po::options_description opts = json_option();
  opts.add_options()("import", po::value<std::string>())("type", po::value<std::string>())(
      "bits", po::value<unsigned>())("curve", po::value<std::string>());
  const ParsedArgs p = parse_args(args, opts, {"name"});
  const std::string name = p.positional("name");
  const bool json = p.vm["json"].as<bool>();
  if (const auto path = p.get("import")) {
    if (p.has("type") || p.has("bits") || p.has("curve")) {
      throw UsageError(
          "--import takes the key's type and size from KEY.pem: no --type, --bits or "
          "--curve beside it");
    }
    print_versions(ctx, rotate_import(ctx, name, *path), json);
    return 0;
  }
  RotateShape shape{p.get("type"), std::nullopt, p.get("curve")};
  if (p.has("bits")) shape.bits = p.vm["bits"].as<unsigned>();
  const Json body = rotate_body(shape);
  print_versions(ctx, call_daemon(ctx, "POST", versions_path(name), body.dump()), json);
  return 0;
}

// activate and retire: NAME VERSION, an empty body.
int state_change(const Args& args, Context& ctx, std::string_view action) {
  const ParsedArgs p = parse_args(args, json_option(), {"name", "version"});
  const std::string name = p.positional("name");
  const unsigned version = parse_version(p.positional("version"));
  const HttpResponse res =
      call_daemon(ctx, "POST", version_path(name, version, "/" + std::string(action)), "{}");
  print_versions(ctx, res, p.vm["json"].as<bool>());
  return 0;
}

int activate_subcommand(const Args& args, Context& ctx) {
  return state_change(args, ctx, "activate");
}

int retire_subcommand(const Args& args, Context& ctx) { return state_change(args, ctx, "retire"); }

int destroy_subcommand(const Args& args, Context& ctx) {
  po::options_description opts = json_option();
  opts.add_options()("yes", po::bool_switch());
  const ParsedArgs p = parse_args(args, opts, {"name", "version"});
  const std::string name = p.positional("name");
  const unsigned version = parse_version(p.positional("version"));
  if (!p.vm["yes"].as<bool>()) {
    throw UsageError("destroy deletes version " + std::to_string(version) + " of key '" + name +
                     "' from the token for good: add --yes to confirm");
  }
  const Json body = {{"confirm", true}};
  const HttpResponse res = call_daemon(ctx, "DELETE", version_path(name, version), body.dump());
  print_versions(ctx, res, p.vm["json"].as<bool>());
  return 0;
}

// The version's own settings as the listing gives them: the route replaces them all, and `set`
// changes only those it names.
Json current_settings(Context& ctx, const std::string& name, unsigned version) {
  const Json answer =
      Json::parse(call_daemon(ctx, "GET", versions_path(name)).body, nullptr, false);
  if (answer.is_object() && answer.contains("versions") && answer["versions"].is_array()) {
    for (const Json& v : answer["versions"]) {
      if (v.is_object() && v.value("version", 0u) == version)
        return v.value("settings", Json::object());
    }
  }
  throw Failure("key '" + name + "' has no version " + std::to_string(version) +
                " (p11sign key versions " + name + " lists them)");
}

// NAME VERSION SETTING=VALUE...
int set_subcommand(const Args& args, Context& ctx) {
  const ParsedArgs p = parse_args(args, json_option(), {"name", "version"}, "assignments");
  const std::string name = p.positional("name");
  const unsigned version = parse_version(p.positional("version"));
  const Assignments assignments =
      parse_assignments(p.has("assignments") ? p.vm["assignments"].as<std::vector<std::string>>()
                                             : std::vector<std::string>{});
  const Json body = settings_body(current_settings(ctx, name, version), assignments);
  const HttpResponse res =
      call_daemon(ctx, "PUT", version_path(name, version, "/settings"), body.dump());
  print_versions(ctx, res, p.vm["json"].as<bool>());
  return 0;
}

constexpr KeySubcommand kSubcommands[] = {
    {"versions", "versions NAME [--json]", versions_subcommand},
    {"rotate",
     "rotate NAME [--type rsa|ec|ed25519] [--bits 2048|3072|4096] [--curve P-256|P-384] [--json]\n"
     "key rotate NAME --import KEY.pem [--json]",
     rotate_subcommand},
    {"activate", "activate NAME VERSION [--json]", activate_subcommand},
    {"retire", "retire NAME VERSION [--json]", retire_subcommand},
    {"destroy", "destroy NAME VERSION --yes [--json]", destroy_subcommand},
    {"set", "set NAME VERSION SETTING=VALUE... [--json]", set_subcommand},
};

std::vector<std::string> subcommand_names() {
  std::vector<std::string> names;
  for (const KeySubcommand& s : kSubcommands) names.emplace_back(s.name);
  return names;
}

}  // namespace

int key_command(const Args& args, Context& ctx) {
  if (args.empty() || args.front().starts_with('-')) {
    throw UsageError("missing the key command: " + comma_list(subcommand_names()));
  }
  for (const KeySubcommand& s : kSubcommands) {
    if (s.name != args.front()) continue;
    try {
      return s.run(Args(args.begin() + 1, args.end()), ctx);
    } catch (const UsageError& e) {
      throw UsageError(e.what(), "key " + std::string(s.usage));
    }
  }
  const std::vector<std::string> names = subcommand_names();
  throw UsageError("unknown key command '" + args.front() + "'" +
                   did_you_mean(args.front(), names) + "; they are " + comma_list(names));
}

}  // namespace p11signd::cli
