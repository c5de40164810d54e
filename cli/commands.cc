#include "cli/commands.h"

#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>
#include <vector>

#include "cli/daemon_call.h"
#include "cli/errors.h"
#include "cli/input.h"
#include "cli/key_args.h"
#include "common/encoding.h"
#include "common/nearest_name.h"

namespace p11signd::cli {
namespace {

namespace po = boost::program_options;
using Json = nlohmann::ordered_json;

int health_command(const Args& args, Context& ctx) {
  parse_args(args, {}, {});
  print_json(ctx, call_daemon(ctx, "GET", "/v1/health"));
  return 0;
}

int keys_command(const Args& args, Context& ctx) {
  parse_args(args, {}, {});
  print_json(ctx, call_daemon(ctx, "GET", "/v1/keys"));
  return 0;
}

int schemes_command(const Args& args, Context& ctx) {
  parse_args(args, {}, {});
  print_json(ctx, call_daemon(ctx, "GET", "/v1/schemes"));
  return 0;
}

int public_key_command(const Args& args, Context& ctx) {
  po::options_description opts;
  opts.add_options()("format", po::value<std::string>()->default_value("pem"))(
      "version", po::value<std::string>());
  const ParsedArgs p = parse_args(args, opts, {"name"});
  const std::string format = *p.get("format");
  if (format != "pem" && format != "der-base64" && format != "jwk") {
    throw UsageError("--format must be pem, der-base64 or jwk, not '" + format + "'");
  }
  const HttpResponse res =
      call_daemon(ctx, "GET",
                  key_path(p.positional("name"),
                           "/public-key?format=" + format + version_query(p.get("version"), '&')));
  if (format == "jwk") {
    print_json(ctx, res);
  } else {
    print_document(ctx, res, {"public_key", "pem", "der", "spki"});
  }
  return 0;
}

// The JSON an answer carries {"valid": false} for: printed, and the exit status is 1, as for
// `openssl dgst -verify` and `gpg --verify`, so that `p11sign ... verify && accept` is safe in
// scripts.
int print_verdict(Context& ctx, const HttpResponse& res) {
  print_json(ctx, res);
  const Json body = Json::parse(res.body, nullptr, false);
  if (body.is_object() && body.value("valid", false)) return 0;
  std::string why = "signature is not valid";
  if (body.is_object() && body.contains("reason") && body["reason"].is_string()) {
    why += ": " + body["reason"].get<std::string>();
  }
  std::cerr << "p11sign: " << why << '\n';
  return 1;
}

// Without --alg the daemon signs with the key's own default (RSA-SHA256 for an RSA key, the one
// algorithm of an EC or Ed25519 key).
po::options_description data_options() {
  po::options_description opts;
  opts.add_options()("alg", po::value<std::string>())("format", po::value<std::string>())(
      "in", po::value<std::string>()->default_value("-"));
  return opts;
}

// The body's "alg" and "format" as the daemon would take them; any other is the caller's mistake,
// caught before a request.
Json signing_fields(const ParsedArgs& p, const std::string& data) {
  Json body = Json::object();
  if (const auto alg = p.get("alg")) {
    check_alg(*alg);
    body["alg"] = *alg;
  }
  if (const auto format = p.get("format")) {
    if (*format != "raw" && *format != "der") {
      throw UsageError("--format: raw or der (for ECDSA), not '" + *format + "'");
    }
    body["format"] = *format;
  }
  body["data"] = base64_encode(as_bytes(data));
  return body;
}

int sign_command(const Args& args, Context& ctx) {
  const ParsedArgs p = parse_args(args, data_options(), {"name"});
  const std::string name = p.positional("name");
  const Json body = signing_fields(p, read_input(*p.get("in"), "the data to sign"));
  const HttpResponse res = call_daemon(ctx, "POST", key_path(name, "/sign"), body.dump());
  const Json answer = Json::parse(res.body, nullptr, false);
  if (!answer.is_object() || !answer.contains("signature") || !answer["signature"].is_string()) {
    throw Failure("the daemon's answer has no signature: " + res.body.substr(0, 200));
  }
  ctx.out << answer["signature"].get<std::string>() << '\n';
  return 0;
}

int verify_command(const Args& args, Context& ctx) {
  po::options_description opts = data_options();
  opts.add_options()("signature", po::value<std::string>());
  const ParsedArgs p = parse_args(args, opts, {"name"});
  const std::string name = p.positional("name");
  if (!p.has("signature")) throw UsageError("missing --signature BASE64");
  Json body = signing_fields(p, read_input(*p.get("in"), "the signed data"));
  body["signature"] = *p.get("signature");
  return print_verdict(ctx, call_daemon(ctx, "POST", key_path(name, "/verify"), body.dump()));
}

bool is_action_name(const std::string& s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == '-'; });
}

// The actions a scheme's entry in GET /v1/schemes offers: sign and verify, and its own.
std::vector<std::string> actions_of(const Json& entry) {
  std::vector<std::string> actions = {"sign", "verify"};
  if (entry.contains("actions") && entry["actions"].is_object()) {
    for (const auto& [name, _] : entry["actions"].items()) actions.push_back(name);
  }
  return actions;
}

// An action other than sign and verify is looked up in the daemon's list of schemes (one read-only
// request), so that a misspelt one is named as such - a usage error - instead of being sent.
void check_scheme_action(const Context& ctx, const std::string& scheme, const std::string& action) {
  const Json answer = Json::parse(call_daemon(ctx, "GET", "/v1/schemes").body, nullptr, false);
  if (!answer.is_object() || !answer.contains("schemes") || !answer["schemes"].is_array()) return;
  std::vector<std::string> names;
  for (const Json& entry : answer["schemes"]) {
    if (!entry.is_object() || !entry.contains("name") || !entry["name"].is_string()) continue;
    names.push_back(entry["name"].get<std::string>());
    if (names.back() != scheme) continue;
    const std::vector<std::string> actions = actions_of(entry);
    if (std::find(actions.begin(), actions.end(), action) != actions.end()) return;
    throw UsageError("scheme " + scheme + " has no action '" + action + "'" +
                     did_you_mean(action, actions) + "; its actions are " + comma_list(actions));
  }
  throw UsageError("the daemon has no scheme '" + scheme + "'" + did_you_mean(scheme, names) +
                   "; its schemes are " + comma_list(names));
}

// The input is JSON, or the Failure says where it stops being JSON.
void check_json(const std::string& input, const std::string& path) {
  const std::string name = path == "-" ? "standard input" : path;
  if (input.find_first_not_of(" \t\r\n") == std::string::npos) {
    throw Failure(name +
                  ": empty; the scheme's JSON input goes there (or in a file given with --in)");
  }
  try {
    if (Json::parse(input).is_discarded()) return;  // never: parse throws instead
  } catch (const Json::parse_error& e) {
    // "[json.exception.parse_error.101] parse error at line 1, column 2: ..." without its tag.
    std::string why = e.what();
    const std::string at = "parse error at ";
    if (const auto pos = why.find(at); pos != std::string::npos) why = why.substr(pos + at.size());
    throw Failure(name + ": not valid JSON: " + why);
  }
}

// The input goes to the daemon byte for byte: field order can be part of a signature (mypos), so it
// is checked to be JSON but never re-serialised.
int scheme_command(const Args& args, Context& ctx) {
  po::options_description opts;
  opts.add_options()("in", po::value<std::string>()->default_value("-"));
  const ParsedArgs p = parse_args(args, opts, {"scheme", "action"});
  const std::string scheme = p.positional("scheme");
  const std::string action = p.positional("action");
  if (!is_action_name(action))
    throw UsageError("ACTION must be sign, verify or another scheme action");
  // Before the input is read: a misspelt action must not first wait for input, then fail on it.
  if (action != "sign" && action != "verify") check_scheme_action(ctx, scheme, action);
  const std::string input = read_input(*p.get("in"), "the JSON input");
  check_json(input, *p.get("in"));
  const std::string target = "/v1/schemes/" + path_segment(scheme) + "/" + action;
  const HttpResponse res = call_daemon(ctx, "POST", target, input);
  if (action == "verify") return print_verdict(ctx, res);
  print_json(ctx, res);
  return 0;
}

constexpr Command kCommands[] = {
    {"health", "health", health_command},
    {"keys", "keys", keys_command},
    {"schemes", "schemes", schemes_command},
    {"public-key", "public-key NAME [--format pem|der-base64|jwk] [--version V]",
     public_key_command},
    {"certificate",
     "certificate NAME [--version V]\n"
     "certificate NAME --self-sign --subject S [--days N] [--replace] [--version V]",
     certificate_command},
    {"sign",
     "sign NAME [--alg "
     "RSA-SHA256|RSA-PSS-SHA256|RSA-PSS-SHA512|ECDSA-SHA256|ECDSA-SHA384|Ed25519]\n"
     "           [--format raw|der] [--in FILE]",
     sign_command},
    {"verify", "verify NAME --signature BASE64 [--alg A] [--format raw|der] [--in FILE]",
     verify_command},
    {"scheme", "scheme SCHEME sign|verify|ACTION [--in FILE.json]", scheme_command},
    {"keygen",
     "keygen NAME --bits 2048|3072|4096 | --type ec:P-256|ec:P-384|ed25519 [--label L] [--json]",
     keygen_command},
    {"import", "import NAME --in KEY.pem [--label L] [--json]", import_command},
    {"csr", "csr NAME --subject S [--version V]", csr_command},
    {"key",
     "key versions NAME [--json]\n"
     "key rotate NAME [--type rsa|ec|ed25519] [--bits 2048|3072|4096] [--curve P-256|P-384] "
     "[--json]\n"
     "key rotate NAME --import KEY.pem [--json]\n"
     "key activate|retire NAME VERSION [--json]\n"
     "key destroy NAME VERSION --yes [--json]\n"
     "key set NAME VERSION SETTING=VALUE... [--json]",
     key_command},
    {"bench",
     "bench NAME [--alg A | --scheme S [--in INPUT.json]] [--duration S] [--count N]\n"
     "      [--connections C] [--size BYTES] [--json]",
     bench_command},
    {"audit", "audit verify FILE... [--public-key AUDIT-KEY.pem]", audit_command},
};

}  // namespace

std::span<const Command> commands() { return kCommands; }

const Command* find_command(std::string_view name) {
  for (const Command& c : kCommands) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

}  // namespace p11signd::cli
