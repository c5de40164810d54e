#include "daemon/config/config.h"

#include "common/nearest_name.h"
#include "common/option_errors.h"
#include "daemon/config/config_lines.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

namespace p11signd::daemon {
namespace {

namespace po = boost::program_options;

// The options of each section, for "did you mean" and the list of valid ones; a test holds them
// to the handlers below and to docs/configuration.md.
const std::vector<std::string> kDaemonOptions = {"socket",
                                                 "socket-mode",
                                                 "socket-group",
                                                 "workers",
                                                 "spin-us",
                                                 "queue-limit",
                                                 "max-request-bytes",
                                                 "request-timeout-ms",
                                                 "read-timeout-ms",
                                                 "idle-timeout-ms",
                                                 "max-connections",
                                                 "max-connections-per-uid",
                                                 "max-requests-per-uid",
                                                 "audit-log",
                                                 "audit-key",
                                                 "audit-checkpoint-records",
                                                 "audit-checkpoint-seconds",
                                                 "admin-uids",
                                                 "admin-groups",
                                                 "health-key",
                                                 "certificate-warning-days"};
const std::vector<std::string> kTokenOptions = {"module", "uri", "pin-file", "pin-credential",
                                                "max-sessions"};
// Besides these, a key takes SCHEME.SETTING options, which the scheme registry checks.
const std::vector<std::string> kKeyOptions = {"label",        "id",      "allow-uids",
                                              "allow-groups", "schemes", "allow-extractable"};
const std::vector<std::string> kPeerOptions = {"scheme", "certificate", "public-key"};
const std::vector<std::string> kSections = {"daemon", "token", "key", "peer"};

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

// The largest id a user or group can have: (uid_t)-1 means "no id" to chown(2) and setreuid(2).
constexpr unsigned long kMaxId = 4'294'967'294ul;
static_assert(sizeof(uid_t) == 4 && sizeof(gid_t) == 4);

// A number, with or without a sign: never a user or group name (useradd refuses names that are
// all digits), so it is an id or an error, never looked up.
bool looks_numeric(const std::string& s) {
  const std::size_t digits_from = !s.empty() && (s[0] == '-' || s[0] == '+') ? 1 : 0;
  return s.size() > digits_from && std::all_of(s.begin() + static_cast<long>(digits_from), s.end(),
                                               [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<uid_t> resolve_uid(const std::string& s) {
  if (auto n = parse_number(s)) return static_cast<uid_t>(*n);  // range checked by the caller
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
    problems_.push_back(location_ + where + ": " + what);
  }

  // For a problem that every option of a section would raise: the first one reports it.
  void problem_once(const std::string& where, const std::string& what) {
    if (said_.insert(where + what).second) problem(where, what);
  }

  // Where the next problems are: "PATH:LINE: ", or "" when the line is not known.
  void at(std::string location) { location_ = std::move(location); }

  void unknown_option(const std::string& section, const std::string& opt,
                      const std::vector<std::string>& known, const std::string& also = "") {
    problem(section, "unknown option '" + opt + "'" + did_you_mean(opt, known) + "; " + section +
                         " takes " + comma_list(known) + also);
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

  // A numeric id out of range would wrap when stored (4294967296 would become 0, root).
  bool id_in_range(const std::string& where, const std::string& item, const char* what) {
    if (!looks_numeric(item)) return true;
    const auto n = parse_number(item);
    if (n && *n <= kMaxId) return true;
    problem(where, "'" + item + "' is not a " + what + " id (0 to " + std::to_string(kMaxId) + ")");
    return false;
  }

  void uids(const std::string& where, const std::string& v, std::vector<uid_t>& out) {
    out.clear();
    for (const auto& item : split_list(v)) {
      if (!id_in_range(where, item, "user")) continue;
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
      if (!id_in_range(where, item, "group")) continue;
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
  std::string location_;
  std::set<std::string> said_;
};

void apply_daemon(Validator& v, const std::string& opt, const std::string& val, DaemonSettings& d) {
  const std::string where = "[daemon] " + opt;
  if (opt == "socket") {
    if (val.empty() || val[0] != '/') v.problem(where, "must be an absolute path");
    d.socket = val;
  } else if (opt == "socket-mode") {
    v.number(where, val, d.socket_mode, 0, 0777, 8);
  } else if (opt == "socket-group") {
    std::vector<gid_t> gids;
    v.gids(where, val, gids);
    if (gids.size() == 1) d.socket_gid = gids.front();
    if (split_list(val).size() != 1) v.problem(where, "must name exactly one group");
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
  } else if (opt == "audit-key") {
    d.audit_key = val;
  } else if (opt == "audit-checkpoint-records") {
    v.number(where, val, d.audit_checkpoint_records, 0, 100'000'000);
  } else if (opt == "audit-checkpoint-seconds") {
    unsigned long seconds = 0;
    v.number(where, val, seconds, 0, 86'400);
    d.audit_checkpoint_interval = std::chrono::seconds(seconds);
  } else if (opt == "admin-uids") {
    v.uids(where, val, d.admin_uids);
  } else if (opt == "admin-groups") {
    v.gids(where, val, d.admin_gids);
  } else if (opt == "health-key") {
    d.health_key = val;
  } else if (opt == "certificate-warning-days") {
    v.number(where, val, d.certificate_warning_days, 0, 3650);
  } else {
    v.unknown_option("[daemon]", opt, kDaemonOptions);
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
    v.unknown_option("[token]", opt, kTokenOptions);
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
  } else if (opt.find('.') != std::string::npos) {
    k.settings[opt] = val;  // SCHEME.SETTING: the scheme registry knows the names and checks them
  } else {
    v.unknown_option("[key." + k.spec.name + "]", opt, kKeyOptions, " and SCHEME.SETTING");
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
    v.unknown_option("[peer." + p.name + "]", opt, kPeerOptions);
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
  } else if ((section == "key" || section == "peer") && rest.find('.') == std::string::npos) {
    v.problem_once("[" + section + "]", "needs a name: [" + section + ".NAME]");
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
    // Reported once, not for each of its options; named as written, up to the option.
    v.problem_once("[" + full.substr(0, full.rfind('.')) + "]",
                   "unknown section" + did_you_mean(section, kSections) +
                       "; the sections are [daemon], [token], [key.NAME] and [peer.NAME]");
  }
}

// A client that could sign with the audit key could sign checkpoints of its own making.
void check_audit_key(Validator& v, const Config& c) {
  const std::string& name = c.daemon.audit_key;
  if (name.empty()) return;
  const auto it = c.keys.find(name);
  if (it == c.keys.end()) {
    v.problem("[daemon] audit-key", "no [key." + name + "] section");
  } else if (!it->second.allow_uids.empty() || !it->second.allow_gids.empty()) {
    v.problem("[daemon] audit-key",
              "[key." + name +
                  "] has allow-uids or allow-groups: the audit key must sign checkpoints only, "
                  "or a client could forge them");
  }
}

void check_sections(Validator& v, Config& c) {
  for (auto& [name, k] : c.keys) {
    const std::string where = "[key." + name + "]";
    v.at(c.location("key." + name));
    if (!valid_name(name)) v.problem(where, "the name may only hold letters, digits, '-' and '_'");
    if (k.spec.label.empty() && k.spec.id_hex.empty()) v.problem(where, "needs label or id");
  }
  for (auto& [name, p] : c.peers) {
    const std::string where = "[peer." + name + "]";
    v.at(c.location("peer." + name));
    if (!valid_name(name)) v.problem(where, "the name may only hold letters, digits, '-' and '_'");
    if (p.scheme.empty()) v.problem(where, "needs scheme");
    if (p.certificate.empty() == p.public_key.empty()) {
      v.problem(where, "needs exactly one of certificate or public-key");
    }
  }
  v.at(c.location("token"));
  if (c.token.uri.empty()) v.problem("[token] uri", "missing");
  if (c.token.pin_file.empty() == c.token.pin_credential.empty()) {
    v.problem("[token]", "needs exactly one of pin-file or pin-credential");
  }
  v.at(c.location("daemon.health-key"));
  if (!c.daemon.health_key.empty() && !c.keys.count(c.daemon.health_key)) {
    v.problem("[daemon] health-key", "no [key." + c.daemon.health_key + "] section");
  }
  check_audit_key(v, c);
}

bool readable(const std::string& path) { return access(path.c_str(), R_OK) == 0; }

// The line Boost could not read, by its number in the text, shortened for the log.
std::string syntax_problem(const std::string& text, const std::string& bad_line) {
  constexpr std::size_t kShown = 120;
  const std::string shown =
      bad_line.size() > kShown ? bad_line.substr(0, kShown) + "..." : bad_line;
  const std::size_t number = line_number_of(text, bad_line);
  const std::string where = number == 0 ? "a line" : "line " + std::to_string(number);
  return where + " '" + shown + "' is not 'name = value', a [section] or a # comment";
}

// Each section and option by its first line.
void remember_lines(const ConfigLayout& layout, std::map<std::string, std::size_t>& lines) {
  for (const ConfigLine& s : layout.sections) lines.emplace(s.section, s.number);
  for (const ConfigLine& o : layout.options) lines.emplace(o.key(), o.number);
}

// A section written twice (often a block pasted again at the end) is one problem naming its lines,
// not one "set more than once" per option. Returns the names of such sections.
std::set<std::string> report_repeated_sections(Validator& v, const ConfigLayout& layout,
                                               const std::string& path) {
  std::map<std::string, std::vector<std::size_t>> numbers;
  for (const ConfigLine& s : layout.sections) numbers[s.section].push_back(s.number);
  std::set<std::string> repeated;
  for (const auto& [section, lines] : numbers) {
    if (lines.size() < 2) continue;
    repeated.insert(section);
    v.at(line_prefix(path, lines.front()));
    v.problem(
        "[" + section + "]",
        "the section is written " +
            (lines.size() == 2 ? std::string("twice") : std::to_string(lines.size()) + " times") +
            ", on lines " + numbers_list(lines) + "; write each section once (merge them)");
  }
  return repeated;
}

// "[token] uri", or the option as Boost named it when its line is not known.
std::string option_name(const ConfigLine& line) {
  if (line.number == 0) return line.option;
  return line.section.empty() ? line.option : "[" + line.section + "] " + line.option;
}

std::string more_than_once(const Config& c, const ConfigLine& line) {
  const auto first = c.lines.find(line.key());
  if (line.number == 0 || first == c.lines.end()) return "set more than once";
  return "set more than once (first on line " + std::to_string(first->second) + ")";
}

}  // namespace

std::string Config::location(const std::string& name) const {
  const auto it = lines.find(name);
  return it == lines.end() ? "" : line_prefix(path, it->second);
}

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
  const ConfigLayout layout = scan_config_lines(text);
  remember_lines(layout, result.config.lines);
  const std::set<std::string> repeated = report_repeated_sections(v, layout, path);
  std::set<std::string> seen;
  for (std::size_t i = 0; i < parsed.options.size(); ++i) {
    const po::option& opt = parsed.options[i];
    // The scan reads the lines Boost read, in its order; should they ever disagree, the messages
    // go without a line number rather than with a wrong one.
    const bool located = i < layout.options.size() && layout.options[i].key() == opt.string_key;
    const ConfigLine line = located ? layout.options[i] : ConfigLine{"", opt.string_key, 0};
    v.at(line_prefix(path, line.number));
    if (!seen.insert(opt.string_key).second) {
      // Within a section written twice, that section's own problem says it all.
      if (!repeated.count(line.section))
        v.problem(option_name(line), more_than_once(result.config, line));
      continue;
    }
    apply(v, opt.string_key, opt.value.empty() ? "" : opt.value.front(), result.config);
  }
  check_sections(v, result.config);
  return result;
}

namespace {

// systemd hands the credential to the service only; run by hand (`sudo p11signd --check-config`)
// there is none, so the problem says which command runs the check as the service would: its user,
// the PIN from the LoadCredential= source the shipped unit names (NAME beside the configuration),
// and SoftHSM's configuration when one is beside it, as the shipped softhsm.conf drop-in sets.
std::string credential_outside_service(const Config& c) {
  const std::filesystem::path config = std::filesystem::absolute(c.path);
  const std::filesystem::path dir = config.parent_path();
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) self = "p11signd";
  std::string command = "sudo systemd-run --pipe --wait -p User=p11signd";
  const std::filesystem::path softhsm_conf = dir / "softhsm2.conf";
  if (std::filesystem::exists(softhsm_conf, ec)) {
    command += " -p Environment=SOFTHSM2_CONF=" + softhsm_conf.string();
  }
  command += " -p LoadCredential=" + c.token.pin_credential + ":" +
             (dir / c.token.pin_credential).string() + " " + self.string() + " --config " +
             config.string() + " --check-config";
  return "[token] pin-credential: $CREDENTIALS_DIRECTORY is not set: the PIN is a systemd "
         "credential, handed to p11signd.service only. To check the configuration as the service "
         "runs it (its user, its PIN), run: " +
         command;
}

}  // namespace

std::vector<std::string> check_referenced_files(const Config& c) {
  std::vector<std::string> problems;
  if (!c.token.pin_file.empty() && !readable(c.token.pin_file)) {
    problems.push_back(c.location("token.pin-file") + "[token] pin-file: cannot read " +
                       c.token.pin_file);
  }
  if (!c.token.pin_credential.empty()) {
    const char* dir = std::getenv("CREDENTIALS_DIRECTORY");
    if (!dir) {
      problems.push_back(c.location("token.pin-credential") + credential_outside_service(c));
    } else if (!readable(std::string(dir) + "/" + c.token.pin_credential)) {
      problems.push_back(c.location("token.pin-credential") +
                         "[token] pin-credential: no readable $CREDENTIALS_DIRECTORY/" +
                         c.token.pin_credential);
    }
  }
  const std::string& audit = c.daemon.audit_log;
  if (audit != "-" && access(audit.c_str(), W_OK) != 0) {
    const auto slash = audit.find_last_of('/');
    const std::string dir = slash == std::string::npos ? "." : audit.substr(0, slash + 1);
    if (access(audit.c_str(), F_OK) == 0 || access(dir.c_str(), W_OK) != 0) {
      problems.push_back(c.location("daemon.audit-log") + "[daemon] audit-log: cannot write " +
                         audit + " (signing would be refused: the audit trail fails closed)");
    }
  }
  for (const auto& [name, p] : c.peers) {
    const std::string& file = p.certificate.empty() ? p.public_key : p.certificate;
    if (!file.empty() && !readable(file)) {
      problems.push_back(c.location("peer." + name) + "[peer." + name + "]: cannot read " + file);
    }
  }
  return problems;
}

std::vector<std::string> config_warnings(const Config& c) {
  std::vector<std::string> warnings;
  for (const auto& [name, k] : c.keys) {
    // The audit key signs the log's checkpoints only: no scheme and no peer is what it must have.
    if (name == c.daemon.audit_key) continue;
    const std::string where = "[key." + name + "]";
    if (k.schemes.empty()) {
      warnings.push_back(where +
                         " has no 'schemes =' line: the key signs for no scheme (list "
                         "them, e.g. 'schemes = mypos'; 'raw' signs any bytes)");
    }
    if (k.allow_uids.empty() && k.allow_gids.empty()) {
      warnings.push_back(where + " allows no uid and no group: no peer may sign with it");
    }
  }
  return warnings;
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
