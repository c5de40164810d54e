#include "cli/commands.h"

#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/daemon_call.h"
#include "cli/errors.h"
#include "cli/input.h"
#include "common/encoding.h"

namespace p11signd::cli {
namespace {

namespace po = boost::program_options;
using Json = nlohmann::ordered_json;

constexpr const char* kDefaultAlg = "RSA-SHA256";

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
  opts.add_options()("format", po::value<std::string>()->default_value("pem"));
  const ParsedArgs p = parse_args(args, opts, {"name"});
  const std::string format = *p.get("format");
  if (format != "pem" && format != "der-base64" && format != "jwk") {
    throw UsageError("--format must be pem, der-base64 or jwk, not '" + format + "'");
  }
  const HttpResponse res =
      call_daemon(ctx, "GET", key_path(p.positional("name"), "/public-key?format=" + format));
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

po::options_description data_options() {
  po::options_description opts;
  opts.add_options()("alg", po::value<std::string>()->default_value(kDefaultAlg))(
      "in", po::value<std::string>()->default_value("-"));
  return opts;
}

int sign_command(const Args& args, Context& ctx) {
  const ParsedArgs p = parse_args(args, data_options(), {"name"});
  const std::string name = p.positional("name");
  const std::string data = read_input(*p.get("in"));
  const Json body = {{"alg", *p.get("alg")}, {"data", base64_encode(as_bytes(data))}};
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
  const std::string data = read_input(*p.get("in"));
  const Json body = {{"alg", *p.get("alg")},
                     {"data", base64_encode(as_bytes(data))},
                     {"signature", *p.get("signature")}};
  return print_verdict(ctx, call_daemon(ctx, "POST", key_path(name, "/verify"), body.dump()));
}

bool is_action_name(const std::string& s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == '-'; });
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
  const std::string input = read_input(*p.get("in"));
  if (!Json::accept(input)) throw Failure(*p.get("in") + ": not valid JSON");
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
    {"public-key", "public-key NAME [--format pem|der-base64|jwk]", public_key_command},
    {"certificate", "certificate NAME\ncertificate NAME --self-sign --subject S [--days N]",
     certificate_command},
    {"sign", "sign NAME [--alg RSA-SHA256|RSA-PSS-SHA256] [--in FILE]", sign_command},
    {"verify", "verify NAME --signature BASE64 [--alg A] [--in FILE]", verify_command},
    {"scheme", "scheme SCHEME sign|verify [--in FILE.json]", scheme_command},
    {"keygen", "keygen NAME --bits 2048|3072|4096 [--label L]", keygen_command},
    {"import", "import NAME --in KEY.pem [--label L]", import_command},
    {"csr", "csr NAME --subject S", csr_command},
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
