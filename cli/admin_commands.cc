// The admin commands: they create or change things on the token, and the daemon allows them only to
// admin-uids/admin-groups. The client checks arguments; the daemon decides.

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/daemon_call.h"
#include "cli/errors.h"
#include "cli/input.h"
#include "cli/key_args.h"
#include "common/key_shape.h"

namespace p11signd::cli {
namespace {

namespace po = boost::program_options;
using Json = nlohmann::ordered_json;

constexpr int kDefaultCertificateDays = 365;

po::options_description label_option() {
  po::options_description opts;
  opts.add_options()("label", po::value<std::string>());
  return opts;
}

bool looks_like_private_key_pem(const SecretString& pem) {
  return pem.find("-----BEGIN ") != SecretString::npos &&
         pem.find("PRIVATE KEY-----") != SecretString::npos;
}

// {"name","label","pem"} written straight into wiped memory: the key never passes through a json
// object or a std::string whose buffer would be freed unwiped.
SecretString import_body(const std::string& name, const std::string& label,
                         const SecretString& pem) {
  SecretString body;
  body.reserve(pem.size() + pem.size() / 8 + name.size() + label.size() + 64);
  body += "{\"name\":";
  body += Json(name).dump();
  body += ",\"label\":";
  body += Json(label).dump();
  body += ",\"pem\":";
  append_json_string(body, pem);
  body += "}";
  return body;
}

po::options_description json_option() {
  po::options_description opts;
  opts.add_options()("json", po::bool_switch());
  return opts;
}

// "# RSA-3072 key 'shop', SHA-256 fingerprint 3f:..." (or "# EC P-256 key ...") - a comment, so
// that the output stays a valid piece of configuration.
std::string key_comment(const Json& key) {
  if (!key.is_object()) return "";
  std::string line = "# ";
  const std::string type = key.value("type", std::string("RSA"));
  if (type != "RSA") {
    line += type + " ";
  } else if (key.contains("bits") && key["bits"].is_number()) {
    line += "RSA-" + std::to_string(key["bits"].get<unsigned>()) + " ";
  }
  line += "key '" + key.value("name", std::string()) + "'";
  if (key.contains("fingerprint_sha256") && key["fingerprint_sha256"].is_string()) {
    line += ", SHA-256 fingerprint " + key["fingerprint_sha256"].get<std::string>();
  }
  return line + "\n";
}

// A new key's answer: the [key.NAME] section it needs in the configuration, as text on standard
// output (so that `>> p11signd.conf` works), and what to do with it on standard error; the
// daemon's whole JSON answer with --json, or when it carries no section.
void print_new_key(Context& ctx, const HttpResponse& res, const ParsedArgs& p) {
  const Json answer = Json::parse(res.body, nullptr, false);
  const bool has_section =
      answer.is_object() && answer.contains("config") && answer["config"].is_string();
  if (p.vm["json"].as<bool>() || !has_section) return print_json(ctx, res);
  std::cerr << "p11sign: key '" << p.positional("name")
            << "' is on the token. Add this section to the configuration, with allow-uids or "
               "allow-groups filled in, and reload; until then only admins can use the key, and a "
               "restart forgets its name:\n";
  ctx.out << key_comment(answer.value("key", Json::object()));
  const std::string section = answer["config"].get<std::string>();
  ctx.out << section << (section.ends_with('\n') ? "" : "\n");
}

}  // namespace

int keygen_command(const Args& args, Context& ctx) {
  po::options_description opts = label_option();
  opts.add(json_option());
  opts.add_options()("bits", po::value<unsigned>())("type", po::value<std::string>());
  const ParsedArgs p = parse_args(args, opts, {"name"});
  const std::string name = p.positional("name");
  Json body = {{"name", name}, {"label", p.get("label").value_or(name)}};
  // The kinds and sizes the daemon allows: anything else would only come back as a 422.
  const std::string type = p.get("type").value_or("rsa");
  const auto shape = parse_key_shape(type);
  if (!shape)
    throw UsageError("--type: rsa, " + std::string(kKeyShapeNames) + ", not '" + type + "'");
  if (type != "rsa") body["type"] = type;
  if (shape->type != KeyType::kRsa && p.has("bits")) {
    throw UsageError("--bits is for RSA keys; a " + type + " key has its curve's size");
  }
  if (type == "rsa" && !p.has("bits")) {
    throw UsageError("missing --bits N (2048, 3072 or 4096), or --type for another kind of key");
  }
  if (p.has("bits")) {
    const unsigned bits = p.vm["bits"].as<unsigned>();
    if (bits != 2048 && bits != 3072 && bits != 4096) {
      throw UsageError("--bits: 2048, 3072 or 4096, not " + std::to_string(bits));
    }
    body["bits"] = bits;
  }
  print_new_key(ctx, call_daemon(ctx, "POST", "/v1/keys", body.dump()), p);
  return 0;
}

int import_command(const Args& args, Context& ctx) {
  po::options_description opts = label_option();
  opts.add(json_option());
  opts.add_options()("in", po::value<std::string>());
  const ParsedArgs p = parse_args(args, opts, {"name"});
  const std::string name = p.positional("name");
  if (!p.has("in")) throw UsageError("missing --in KEY.pem");
  const std::string path = *p.get("in");
  HttpResponse res;
  {
    const SecretString pem = read_secret_file(path);
    if (!looks_like_private_key_pem(pem)) throw Failure(path + ": not a PEM private key");
    const SecretString body = import_body(name, p.get("label").value_or(name), pem);
    res = call_daemon(ctx, "POST", "/v1/keys/import", {body.data(), body.size()});
  }  // pem and body are wiped here, before anything is printed
  print_new_key(ctx, res, p);
  return 0;
}

int certificate_command(const Args& args, Context& ctx) {
  po::options_description opts;
  opts.add_options()("self-sign", po::bool_switch())("subject", po::value<std::string>())(
      "days", po::value<int>())("replace", po::bool_switch())("version", po::value<std::string>());
  const ParsedArgs p = parse_args(args, opts, {"name"});
  const std::string name = p.positional("name");
  const std::string path = "/certificate" + version_query(p.get("version"), '?');
  if (!p.vm["self-sign"].as<bool>()) {
    if (p.has("subject") || p.has("days") || p.vm["replace"].as<bool>())
      throw UsageError("--subject, --days and --replace need --self-sign");
    const HttpResponse res = ask_daemon(ctx, "GET", key_path(name, path));
    if (error_code(res) == "certificate_not_found") {
      throw Failure(describe_error(res),
                    "an admin makes a self-signed one with `p11sign certificate " + name +
                        " --self-sign --subject \"CN=...\"`, or a request for a CA with "
                        "`p11sign csr " +
                        name + " --subject \"CN=...\"`");
    }
    if (!res.ok()) throw Failure(describe_error(res));
    print_document(ctx, res, {"certificate", "pem"});
    return 0;
  }
  if (!p.has("subject")) throw UsageError("missing --subject S (e.g. \"CN=payments\")");
  const int days = p.has("days") ? p.vm["days"].as<int>() : kDefaultCertificateDays;
  if (days <= 0) throw UsageError("--days must be positive");
  Json body = {{"subject", *p.get("subject")}, {"days", days}};
  // Without it the daemon keeps a stored certificate (it may be the one a provider issued): 409.
  if (p.vm["replace"].as<bool>()) body["replace"] = true;
  print_document(ctx, call_daemon(ctx, "POST", key_path(name, path), body.dump()),
                 {"certificate", "pem"});
  return 0;
}

int csr_command(const Args& args, Context& ctx) {
  po::options_description opts;
  opts.add_options()("subject", po::value<std::string>())("version", po::value<std::string>());
  const ParsedArgs p = parse_args(args, opts, {"name"});
  const std::string name = p.positional("name");
  if (!p.has("subject")) throw UsageError("missing --subject S (e.g. \"CN=payments\")");
  const Json body = {{"subject", *p.get("subject")}};
  const std::string path = "/csr" + version_query(p.get("version"), '?');
  print_document(ctx, call_daemon(ctx, "POST", key_path(name, path), body.dump()), {"csr", "pem"});
  return 0;
}

}  // namespace p11signd::cli
