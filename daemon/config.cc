#include "daemon/config.h"

#include "common/option_errors.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <charconv>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

namespace p11signd::daemon {
namespace {

namespace po = boost::program_options;

// Scheme setting prefixes a [key.NAME] section may carry (interface.md); the scheme registry checks
// values.
const std::set<std::string> kSchemeSettingPrefixes = {"mypos",     "swifood", "carat",    "jws",
                                                      "amazonpay", "alipay",  "wechatpay"};

std::vector<std::string> split_list(const std::string& value) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : value + ",") {
    if (c == ',' || c == ' ' || c == '\t') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  return out;
}

std::optional<unsigned long> parse_number(const std::string& s, int base = 10) {
  unsigned long v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

std::optional<uid_t> resolve_uid(const std::string& s) {
  if (auto n = parse_number(s)) return static_cast<uid_t>(*n);
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* res = nullptr;
  if (getpwnam_r(s.c_str(), &pw, buf.data(), buf.size(), &res) == 0 && res) return pw.pw_uid;
  return std::nullopt;
}

std::optional<gid_t> resolve_gid(const std::string& s) {
  if (auto n = parse_number(s)) return static_cast<gid_t>(*n);
  std::vector<char> buf(16384);
  group gr{};
  group* res = nullptr;
  if (getgrnam_r(s.c_str(), &gr, buf.data(), buf.size(), &res) == 0 && res) return gr.gr_gid;
  return std::nullopt;
}

bool valid_name(const std::string& name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

// Collects problems while settings are applied; each message names the section and option.
class Validator {
 public:
  explicit Validator(std::vector<std::string>& problems) : problems_(problems) {}

  void problem(const std::string& where, const std::string& what) {
    problems_.push_back(where + ": " + what);
  }

  template <typename T>
  void number(const std::string& where, const std::string& v, T& out, unsigned long lo,
              unsigned long hi, int base = 10) {
    auto n = parse_number(v, base);
    if (!n || *n < lo || *n > hi) {
      problem(where, "'" + v + "' is not a number from " + std::to_string(lo) + " to " +
                         std::to_string(hi));
      return;
    }
    out = static_cast<T>(*n);
  }

  void millis(const std::string& where, const std::string& v, std::chrono::milliseconds& out) {
    long ms = 0;
    number(where, v, ms, 1, 3'600'000);
    if (ms > 0) out = std::chrono::milliseconds(ms);
  }

  void uids(const std::string& where, const std::string& v, std::vector<uid_t>& out) {
    out.clear();
    for (const auto& item : split_list(v)) {
      if (auto uid = resolve_uid(item)) {
        out.push_back(*uid);
      } else {
        problem(where, "unknown user '" + item + "'");
      }
    }
  }

  void gids(const std::string& where, const std::string& v, std::vector<gid_t>& out) {
    out.clear();
    for (const auto& item : split_list(v)) {
      if (auto gid = resolve_gid(item)) {
        out.push_back(*gid);
      } else {
        problem(where, "unknown group '" + item + "'");
      }
    }
  }

  void boolean(const std::string& where, const std::string& v, bool& out) {
    if (v == "true" || v == "yes" || v == "1") {
      out = true;
    } else if (v == "false" || v == "no" || v == "0") {
      out = false;
    } else {
      problem(where, "'" + v + "' is not true or false");
    }
  }

 private:
  std::vector<std::string>& problems_;
};

void apply_daemon(Validator& v, const std::string& opt, const std::string& val, DaemonSettings& d) {
  const std::string where = "[daemon] " + opt;
  if (opt == "socket") {
    if (val.empty() || val[0] != '/') v.problem(where, "must be an absolute path");
    d.socket = val;
  } else if (opt == "socket-mode") {
    v.number(where, val, d.socket_mode, 0, 0777, 8);
  } else if (opt == "workers") {
    v.number(where, val, d.workers, 0, 256);
  } else if (opt == "spin-us") {
    unsigned long us = 0;
    v.number(where, val, us, 0, 10'000);
    d.spin = std::chrono::microseconds(us);
  } else if (opt == "queue-limit") {
    v.number(where, val, d.queue_limit, 1, 1'000'000);
  } else if (opt == "max-request-bytes") {
    v.number(where, val, d.max_request_bytes, 1024, 64ul << 20);
  } else if (opt == "request-timeout-ms") {
    v.millis(where, val, d.request_timeout);
  } else if (opt == "read-timeout-ms") {
    v.millis(where, val, d.read_timeout);
  } else if (opt == "idle-timeout-ms") {
    v.millis(where, val, d.idle_timeout);
  } else if (opt == "max-connections") {
    v.number(where, val, d.max_connections, 1, 1'000'000);
  } else if (opt == "max-connections-per-uid") {
    v.number(where, val, d.max_connections_per_uid, 1, 1'000'000);
  } else if (opt == "max-requests-per-uid") {
    v.number(where, val, d.max_requests_per_uid, 1, 1'000'000);
  } else if (opt == "audit-log") {
    if (val.empty()) v.problem(where, "must be '-' or a file path");
    d.audit_log = val;
  } else if (opt == "admin-uids") {
    v.uids(where, val, d.admin_uids);
  } else if (opt == "admin-groups") {
    v.gids(where, val, d.admin_gids);
  } else if (opt == "health-key") {
    d.health_key = val;
  } else {
    v.problem("[daemon]", "unknown option '" + opt + "'");
  }
}

void apply_token(Validator& v, const std::string& opt, const std::string& val, TokenSettings& t) {
  const std::string where = "[token] " + opt;
  if (opt == "module") {
    t.module = val;
  } else if (opt == "uri") {
    if (val.rfind("pkcs11:", 0) != 0) v.problem(where, "must be a pkcs11: URI (RFC 7512)");
    t.uri = val;
  } else if (opt == "pin-file") {
    t.pin_file = val;
  } else if (opt == "pin-credential") {
    t.pin_credential = val;
  } else if (opt == "max-sessions") {
    v.number(where, val, t.max_sessions, 0, 1024);
  } else {
    v.problem("[token]", "unknown option '" + opt + "'");
  }
}

void apply_key(Validator& v, const std::string& opt, const std::string& val, KeyConfig& k) {
  const std::string where = "[key." + k.spec.name + "] " + opt;
  if (opt == "label") {
    k.spec.label = val;
  } else if (opt == "id") {
    if (val.empty() || val.size() % 2 != 0 ||
        !std::all_of(val.begin(), val.end(), [](char c) { return std::isxdigit(c); })) {
      v.problem(where, "'" + val + "' is not hex");
    }
    k.spec.id_hex = val;
    std::transform(k.spec.id_hex.begin(), k.spec.id_hex.end(), k.spec.id_hex.begin(), ::tolower);
  } else if (opt == "allow-uids") {
    v.uids(where, val, k.allow_uids);
  } else if (opt == "allow-groups") {
    v.gids(where, val, k.allow_gids);
  } else if (opt == "schemes") {
    k.schemes = split_list(val);
  } else if (opt == "allow-extractable") {
    v.boolean(where, val, k.spec.allow_extractable);
  } else if (auto dot = opt.find('.');
             dot != std::string::npos && kSchemeSettingPrefixes.count(opt.substr(0, dot))) {
    k.settings[opt] = val;
  } else {
    v.problem("[key." + k.spec.name + "]", "unknown option '" + opt + "'");
  }
}

void apply_peer(Validator& v, const std::string& opt, const std::string& val, PeerConfig& p) {
  if (opt == "scheme") {
    p.scheme = val;
  } else if (opt == "certificate") {
    p.certificate = val;
  } else if (opt == "public-key") {
    p.public_key = val;
  } else {
    v.problem("[peer." + p.name + "]", "unknown option '" + opt + "'");
  }
}

void apply(Validator& v, const std::string& full, const std::string& val, Config& c) {
  const auto dot = full.find('.');
  const std::string section = full.substr(0, dot);
  const std::string rest = dot == std::string::npos ? "" : full.substr(dot + 1);
  if (dot == std::string::npos) {
    v.problem("(top level)", "option '" + full + "' outside any section");
  } else if (section == "daemon") {
    apply_daemon(v, rest, val, c.daemon);
  } else if (section == "token") {
    apply_token(v, rest, val, c.token);
  } else if (section == "key" || section == "peer") {
    const auto dot2 = rest.find('.');
    const std::string name = rest.substr(0, dot2);
    const std::string opt = dot2 == std::string::npos ? "" : rest.substr(dot2 + 1);
    if (section == "key") {
      auto& k = c.keys[name];
      k.spec.name = name;
      apply_key(v, opt, val, k);
    } else {
      auto& p = c.peers[name];
      p.name = name;
      apply_peer(v, opt, val, p);
    }
  } else {
    v.problem("[" + section + "]", "unknown section");
  }
}

void check_sections(Validator& v, Config& c) {
  for (auto& [name, k] : c.keys) {
    const std::string where = "[key." + name + "]";
    if (!valid_name(name)) v.problem(where, "the name may only hold letters, digits, '-' and '_'");
    if (k.spec.label.empty() && k.spec.id_hex.empty()) v.problem(where, "needs label or id");
  }
  for (auto& [name, p] : c.peers) {
    const std::string where = "[peer." + name + "]";
    if (!valid_name(name)) v.problem(where, "the name may only hold letters, digits, '-' and '_'");
    if (p.scheme.empty()) v.problem(where, "needs scheme");
    if (p.certificate.empty() == p.public_key.empty()) {
      v.problem(where, "needs exactly one of certificate or public-key");
    }
  }
  if (c.token.uri.empty()) v.problem("[token] uri", "missing");
  if (c.token.pin_file.empty() == c.token.pin_credential.empty()) {
    v.problem("[token]", "needs exactly one of pin-file or pin-credential");
  }
  if (!c.daemon.health_key.empty() && !c.keys.count(c.daemon.health_key)) {
    v.problem("[daemon] health-key", "no [key." + c.daemon.health_key + "] section");
  }
}

bool readable(const std::string& path) { return access(path.c_str(), R_OK) == 0; }

// A line as Boost's config parser sees it: cut at the first '#', blanks trimmed at both ends.
std::string as_boost_reads(const std::string& line) {
  constexpr const char* kBlanks = " \t\r\n";
  const std::string content = line.substr(0, line.find('#'));
  const auto first = content.find_first_not_of(kBlanks);
  if (first == std::string::npos) return "";
  return content.substr(first, content.find_last_not_of(kBlanks) - first + 1);
}

// Number of the first line that Boost reads as exactly bad_line; 0 if none does. Boost reports
// the line's content only, and the same text may be part of an earlier, valid line.
std::size_t line_number_of(const std::string& text, const std::string& bad_line) {
  std::istringstream lines(text);
  std::size_t number = 0;
  for (std::string line; std::getline(lines, line);) {
    ++number;
    if (as_boost_reads(line) == bad_line) return number;
  }
  return 0;
}

// The line Boost could not read, by its number in the text, shortened for the log.
std::string syntax_problem(const std::string& text, const std::string& bad_line) {
  constexpr std::size_t kShown = 120;
  const std::string shown =
      bad_line.size() > kShown ? bad_line.substr(0, kShown) + "..." : bad_line;
  const std::size_t number = line_number_of(text, bad_line);
  const std::string where = number == 0 ? "a line" : "line " + std::to_string(number);
  return where + " '" + shown + "' is not 'name = value', a [section] or a # comment";
}

}  // namespace

std::vector<KeySpec> Config::key_specs() const {
  std::vector<KeySpec> out;
  for (const auto& [name, k] : keys) out.push_back(k.spec);
  return out;
}

ConfigResult parse_config_text(const std::string& text, const std::string& path) {
  ConfigResult result;
  result.config.path = path;
  Validator v(result.problems);
  std::istringstream in(text);
  po::parsed_options parsed(nullptr);
  try {
    // Nothing is registered: every option comes back "unregistered" and is validated below, so that
    // all problems are reported together instead of the first exception.
    po::options_description none;
    parsed = po::parse_config_file(in, none, /*allow_unregistered=*/true);
  } catch (const po::invalid_config_file_syntax& e) {
    // Not e.what(): Boost substitutes the line into its message template until no "%invalid_line%"
    // is left, so a line holding that text never ends (found by fuzz_config).
    v.problem(path.empty() ? "configuration" : path, syntax_problem(text, e.tokens()));
    return result;
  } catch (const po::error& e) {
    v.problem(path.empty() ? "configuration" : path,
              holds_option_placeholder(text) ? "not readable as INI" : e.what());
    return result;
  }
  std::set<std::string> seen;
  for (const auto& opt : parsed.options) {
    const std::string value = opt.value.empty() ? "" : opt.value.front();
    if (!seen.insert(opt.string_key).second) {
      v.problem(opt.string_key, "set more than once");
      continue;
    }
    apply(v, opt.string_key, value, result.config);
  }
  check_sections(v, result.config);
  return result;
}

std::vector<std::string> check_referenced_files(const Config& c) {
  std::vector<std::string> problems;
  if (!c.token.pin_file.empty() && !readable(c.token.pin_file)) {
    problems.push_back("[token] pin-file: cannot read " + c.token.pin_file);
  }
  if (!c.token.pin_credential.empty()) {
    const char* dir = std::getenv("CREDENTIALS_DIRECTORY");
    if (!dir || !readable(std::string(dir) + "/" + c.token.pin_credential)) {
      problems.push_back("[token] pin-credential: no readable $CREDENTIALS_DIRECTORY/" +
                         c.token.pin_credential);
    }
  }
  const std::string& audit = c.daemon.audit_log;
  if (audit != "-" && access(audit.c_str(), W_OK) != 0) {
    const auto slash = audit.find_last_of('/');
    const std::string dir = slash == std::string::npos ? "." : audit.substr(0, slash + 1);
    if (access(audit.c_str(), F_OK) == 0 || access(dir.c_str(), W_OK) != 0) {
      problems.push_back("[daemon] audit-log: cannot write " + audit +
                         " (signing would be refused: the audit trail fails closed)");
    }
  }
  for (const auto& [name, p] : c.peers) {
    const std::string& file = p.certificate.empty() ? p.public_key : p.certificate;
    if (!file.empty() && !readable(file)) {
      problems.push_back("[peer." + name + "]: cannot read " + file);
    }
  }
  return problems;
}

ConfigResult load_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    ConfigResult r;
    r.config.path = path;
    r.problems.push_back(path + ": cannot open the configuration file");
    return r;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  ConfigResult r = parse_config_text(ss.str(), path);
  for (auto& p : check_referenced_files(r.config)) r.problems.push_back(std::move(p));
  return r;
}

}  // namespace p11signd::daemon
