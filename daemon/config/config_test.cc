#include "daemon/config/config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "daemon/lifecycle/daemon.h"
#include "daemon/routes/routes_schemes.h"
#include "daemon/testing/fake_keystore.h"

namespace p11signd::daemon {
namespace {

const char* kGood = R"(
[daemon]
socket = /run/p11signd/p11signd.sock
socket-mode = 0660
workers = 2                 # 0: one per CPU core
queue-limit = 16
max-request-bytes = 65536
request-timeout-ms = 5000
audit-log = -
admin-uids = 0
admin-groups =

[token]
module = /usr/lib/softhsm/libsofthsm2.so
uri = pkcs11:token=payments
pin-file = /etc/p11signd/pin

[key.mypos-store1]
label = mypos-store1
allow-uids = 33, 0
allow-groups = root
schemes = mypos raw
mypos.sid = 000000000000010

[peer.mypos]
scheme = mypos
certificate = /etc/p11signd/mypos.crt
)";

TEST(Config, ParsesTheInterfaceExample) {
  auto r = parse_config_text(kGood);
  ASSERT_TRUE(r.ok()) << r.problems.front();
  const Config& c = r.config;
  EXPECT_EQ(c.daemon.socket_mode, 0660u);
  EXPECT_EQ(c.daemon.workers, 2u);
  EXPECT_EQ(c.daemon.queue_limit, 16u);
  EXPECT_EQ(c.daemon.request_timeout, std::chrono::milliseconds(5000));
  EXPECT_TRUE(c.daemon.admin_gids.empty());
  ASSERT_EQ(c.keys.count("mypos-store1"), 1u);
  const KeyConfig& k = c.keys.at("mypos-store1");
  EXPECT_EQ(k.spec.label, "mypos-store1");
  EXPECT_EQ(k.allow_uids, (std::vector<uid_t>{33, 0}));
  EXPECT_EQ(k.allow_gids, (std::vector<gid_t>{0}));
  EXPECT_EQ(k.schemes, (std::vector<std::string>{"mypos", "raw"}));
  EXPECT_EQ(k.settings.at("mypos.sid"), "000000000000010");
  EXPECT_EQ(c.peers.at("mypos").certificate, "/etc/p11signd/mypos.crt");
}

TEST(Config, ALineThatIsNotAnOptionIsNamedByItsNumber) {
  const auto r = parse_config_text("[daemon]\nworkers = 2\njust some words\n", "/etc/p.conf");
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_NE(r.problems[0].find("line 3 'just some words' is not 'name = value'"), std::string::npos)
      << r.problems[0];
}

// Boost reports only the line's text; an earlier valid line holding that text is not the one.
TEST(Config, ABareOptionIsNamedByItsOwnLineNotAnEarlierOneHoldingIt) {
  const auto r = parse_config_text(
      "[key.k]\nlabel = k\nallow-uids = 33\n# allow-uids below is wrong\n  allow-uids  \n");
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_NE(r.problems[0].find("line 5 'allow-uids' is not"), std::string::npos) << r.problems[0];
}

TEST(Config, AnUnclosedSectionIsNamedByItsOwnLineNotTheClosedOne) {
  const auto r = parse_config_text("# p11signd\n[daemon]\nworkers = 2\n[daemon\n");
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_NE(r.problems[0].find("line 4 '[daemon' is not"), std::string::npos) << r.problems[0];
}

// The parser drops a '#' comment before it reads a line, so the bad text is what precedes it.
TEST(Config, ABadLineWithACommentIsNamedByItsNumber) {
  const auto r = parse_config_text("[daemon]\nworkers = 2 # workers\nworkers # wrong\n");
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_NE(r.problems[0].find("line 3 'workers' is not"), std::string::npos) << r.problems[0];
}

// Boost's own message for this error substitutes the line into a template until no
// "%invalid_line%" is left: with that text in the line it never returned (found by fuzz_config).
TEST(Config, ALineHoldingBoostsPlaceholderIsReportedNotLoopedOn) {
  const auto r = parse_config_text("[daemon]\nsee %invalid_line% here\n");
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_NE(r.problems[0].find("line 2 'see %invalid_line% here'"), std::string::npos)
      << r.problems[0];
}

// A file with only what is required gets the defaults of docs/configuration.md, those of the
// added options included (docs/api.md's table).
TEST(Config, DefaultsAreThoseOfTheInterface) {
  auto r = parse_config_text(
      "[token]\nuri = pkcs11:token=payments\npin-file = /etc/p11signd/pin\n"
      "[key.k]\nlabel = k\n");
  ASSERT_TRUE(r.ok()) << r.problems.front();
  const DaemonSettings& d = r.config.daemon;
  EXPECT_EQ(d.socket, "/run/p11signd/p11signd.sock");
  EXPECT_EQ(d.socket_mode, 0660u);
  EXPECT_EQ(d.workers, 0u);
  EXPECT_EQ(d.queue_limit, 1024u);
  EXPECT_EQ(d.max_request_bytes, 65536u);
  EXPECT_EQ(d.request_timeout, std::chrono::milliseconds(5000));
  EXPECT_EQ(d.audit_log, "-");
  EXPECT_EQ(d.admin_uids, (std::vector<uid_t>{0}));
  EXPECT_TRUE(d.admin_gids.empty());
  EXPECT_EQ(r.config.token.module, "/usr/lib/softhsm/libsofthsm2.so");
  // The daemon's additions.
  EXPECT_EQ(d.read_timeout, std::chrono::milliseconds(10000));
  EXPECT_EQ(d.idle_timeout, std::chrono::milliseconds(60000));
  EXPECT_EQ(d.max_connections, 1024u);
  EXPECT_EQ(d.health_key, "");
  EXPECT_TRUE(r.config.keys.at("k").schemes.empty());
  EXPECT_EQ(r.config.token.max_sessions, 0u);
  EXPECT_FALSE(r.config.keys.at("k").spec.allow_extractable);
}

// workers = 0 (the default) is one worker per CPU core, never more than the sessions the token
// allows (max_sessions() 0: no limit); a number is taken as it is, under the same cap.
TEST(Config, ZeroWorkersIsOnePerCpuCoreCappedByTheTokensSessions) {
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const FakeKeyStore unlimited("t", 0);
  DaemonSettings d = parse_config_text("[daemon]\nworkers = 0\n").config.daemon;
  ASSERT_EQ(d.workers, 0u);
  EXPECT_EQ(worker_count(d, unlimited), cores);
  EXPECT_EQ(worker_count(d, FakeKeyStore("t", 1)), 1u);
  d.workers = 7;
  EXPECT_EQ(worker_count(d, unlimited), 7u);
  EXPECT_EQ(worker_count(d, FakeKeyStore("t", 3)), 3u);
}

// allow-extractable is a yes/no option of a key section, off unless said; anything else is a
// problem naming the option.
TEST(Config, AllowExtractableIsABooleanOfTheKeySection) {
  const std::string base = "[token]\nuri = pkcs11:token=t\npin-file = /p\n[key.k]\nlabel = k\n";
  for (const char* yes : {"true", "yes", "1"}) {
    auto r = parse_config_text(base + "allow-extractable = " + yes + "\n");
    ASSERT_TRUE(r.ok()) << yes << ": " << r.problems.front();
    EXPECT_TRUE(r.config.keys.at("k").spec.allow_extractable) << yes;
    EXPECT_TRUE(r.config.key_specs().front().allow_extractable) << yes;
  }
  for (const char* no : {"false", "no", "0"}) {
    auto r = parse_config_text(base + "allow-extractable = " + no + "\n");
    ASSERT_TRUE(r.ok()) << no << ": " << r.problems.front();
    EXPECT_FALSE(r.config.keys.at("k").spec.allow_extractable) << no;
  }
  auto bad = parse_config_text(base + "allow-extractable = maybe\n");
  ASSERT_EQ(bad.problems.size(), 1u);
  EXPECT_NE(bad.problems[0].find("[key.k] allow-extractable"), std::string::npos)
      << bad.problems[0];
  auto misplaced = parse_config_text(base + "[daemon]\nallow-extractable = true\n");
  ASSERT_FALSE(misplaced.ok());
  EXPECT_NE(misplaced.problems[0].find("unknown option 'allow-extractable'"), std::string::npos)
      << misplaced.problems[0];
}

TEST(Config, SpinUsDefaultsTo50AndAcceptsZeroUpTo10ms) {
  EXPECT_EQ(parse_config_text("[daemon]\n").config.daemon.spin, std::chrono::microseconds(50));
  EXPECT_EQ(parse_config_text("[daemon]\nspin-us = 0\n").config.daemon.spin,
            std::chrono::microseconds(0));
  EXPECT_EQ(parse_config_text("[daemon]\nspin-us = 10000\n").config.daemon.spin,
            std::chrono::microseconds(10000));
  const auto r = parse_config_text("[daemon]\nspin-us = 20000\n");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.problems.front().find("spin-us"), std::string::npos) << r.problems.front();
}

TEST(Config, ReportsEveryProblemOnItsOwnLine) {
  auto r = parse_config_text(R"(
[daemon]
socket-mode = 0999
workers = many
colour = blue
[token]
uri = token=x
[key.a]
allow-groups = no-such-group-here
frobnicate = 1
[peer.p]
scheme = mypos
[weird]
x = 1
)");
  ASSERT_FALSE(r.ok());
  std::string all;
  for (const auto& p : r.problems) all += p + "\n";
  for (const char* needle :
       {"[daemon] socket-mode", "[daemon] workers", "unknown option 'colour'", "[token] uri",
        "unknown group 'no-such-group-here'", "unknown option 'frobnicate'", "[key.a]: needs label",
        "[peer.p]: needs exactly one", "[weird]: unknown section", "pin-file or pin-credential"}) {
    EXPECT_NE(all.find(needle), std::string::npos) << "missing: " << needle << "\nin:\n" << all;
  }
  EXPECT_GE(r.problems.size(), 10u);
}

TEST(Config, SocketGroupNamesExactlyOneGroup) {
  const std::string token = "[token]\nuri = pkcs11:token=t\npin-file = /p\n";
  EXPECT_FALSE(parse_config_text(token).config.daemon.socket_gid) << "unset: the daemon's group";
  const auto named = parse_config_text("[daemon]\nsocket-group = root\n" + token);
  ASSERT_TRUE(named.ok()) << named.problems.front();
  EXPECT_EQ(named.config.daemon.socket_gid, gid_t{0});
  EXPECT_EQ(parse_config_text("[daemon]\nsocket-group = 65534\n" + token).config.daemon.socket_gid,
            gid_t{65534});
  for (const char* bad : {"root, 65534", "", "no-such-group-here"}) {
    const auto r = parse_config_text(std::string("[daemon]\nsocket-group = ") + bad + "\n" + token);
    ASSERT_FALSE(r.ok()) << "accepted socket-group = " << bad;
    EXPECT_NE(r.problems.front().find("[daemon] socket-group"), std::string::npos)
        << r.problems.front();
  }
}

TEST(Config, UnknownOptionSuggestsTheNearestAndListsTheValidOnes) {
  auto r = parse_config_text(
      "[token]\nuri = pkcs11:token=x\npin-file = /p\n[key.k]\nlabel = k\nallow-group = www-data\n"
      "[daemon]\nworker = 2\n[peer.p]\nscheme = mypos\ncert = /c.pem\n");
  ASSERT_EQ(r.problems.size(), 4u) << r.problems.front();
  EXPECT_EQ(r.problems[0],
            "line 6: [key.k]: unknown option 'allow-group' (did you mean 'allow-groups'?); [key.k] "
            "takes label, id, allow-uids, allow-groups, schemes, allow-extractable and "
            "SCHEME.SETTING");
  EXPECT_EQ(r.problems[1].substr(0, 70),
            "line 8: [daemon]: unknown option 'worker' (did you mean 'workers'?); [");
  EXPECT_NE(r.problems[1].find("takes socket, socket-mode, socket-group, workers,"),
            std::string::npos);
  EXPECT_EQ(r.problems[2],
            "line 11: [peer.p]: unknown option 'cert'; [peer.p] takes scheme, certificate, "
            "public-key");
  EXPECT_EQ(r.problems[3], "line 9: [peer.p]: needs exactly one of certificate or public-key");
}

TEST(Config, AnUnknownSectionIsOneProblemWithASuggestion) {
  auto r = parse_config_text("[keys.shop]\nlabel = shop\nallow-uids = 0\n[daemon]\n", "/e/p.conf");
  std::vector<std::string> about_section;
  for (const auto& p : r.problems) {
    if (p.find("unknown section") != std::string::npos) about_section.push_back(p);
  }
  EXPECT_EQ(about_section,
            std::vector<std::string>{"/e/p.conf:2: [keys.shop]: unknown section (did you mean "
                                     "'key'?); the sections are [daemon], [token], [key.NAME] "
                                     "and [peer.NAME]"});
  auto unnamed = parse_config_text("[key]\nlabel = shop\nallow-uids = 0\n");
  ASSERT_FALSE(unnamed.ok());
  EXPECT_EQ(unnamed.problems.front(), "line 2: [key]: needs a name: [key.NAME]");
}

// Every problem found in the file names its line: the option's, or the section's when the problem
// is about the whole section.
TEST(Config, ProblemsCarryTheFilesLineNumber) {
  auto r = parse_config_text(
      "# payments\n[daemon]\nworkers = many\n\n[token]\nuri = pkcs11:token=x\n"
      "pin-file = /nonexistent/pin\n[key.a]\nallow-uids = 0\n",
      "/etc/p11signd/p11signd.conf");
  ASSERT_EQ(r.problems.size(), 2u);
  EXPECT_EQ(r.problems[0].substr(0, 49), "/etc/p11signd/p11signd.conf:3: [daemon] workers: ");
  EXPECT_EQ(r.problems[1], "/etc/p11signd/p11signd.conf:8: [key.a]: needs label or id");
  EXPECT_EQ(check_referenced_files(r.config),
            std::vector<std::string>{
                "/etc/p11signd/p11signd.conf:7: [token] pin-file: cannot read /nonexistent/pin"});
}

// A block pasted in a second time is one problem naming both places, not one per option.
TEST(Config, ASectionWrittenTwiceIsOneProblemNamingBothLines) {
  const std::string twice = std::string(kGood) +
                            "\n[key.mypos-store1]\nlabel = mypos-store1\n"
                            "allow-uids = 33, 0\nallow-groups = root\nschemes = mypos raw\n"
                            "mypos.sid = 000000000000010\n";
  auto r = parse_config_text(twice);
  EXPECT_EQ(r.problems, std::vector<std::string>{
                            "line 18: [key.mypos-store1]: the section is written twice, on lines "
                            "18 and 29; write each section once (merge them)"});
  auto thrice = parse_config_text("[daemon]\nworkers = 1\n[daemon]\n[daemon]\nworkers = 2\n");
  EXPECT_EQ(thrice.problems.front(),
            "line 1: [daemon]: the section is written 3 times, on lines 1, 3 and 4; write each "
            "section once (merge them)");
}

// What the messages list is what the parser takes and what docs/configuration.md documents.
std::vector<std::string> options_listed_for(const std::string& section) {
  const auto r = parse_config_text(section + "\nno-such-option-here = 1\n");
  const std::string& message = r.problems.at(0);
  const std::string takes = " takes ";
  std::string list = message.substr(message.find(takes) + takes.size());
  std::vector<std::string> out;
  for (std::size_t at = 0; at < list.size();) {
    std::size_t end = std::min(list.find(", ", at), list.find(" and ", at));
    if (end == std::string::npos) end = list.size();
    out.push_back(list.substr(at, end - at));
    at = end == list.size() ? end : list.find(' ', end + 1) + 1;
  }
  return out;
}

std::set<std::string> documented_options(const std::string& section) {
  std::ifstream in(std::string(P11SIGND_DOCS_DIR) + "/configuration.md");
  std::set<std::string> out;
  const std::regex row("^\\| `([a-z-]+|SCHEME\\.SETTING)` \\|");
  bool inside = false;  // the section's first table (a key's scheme settings have their own)
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("## ", 0) == 0) inside = line == "## " + section;
    if (inside && !out.empty() && line.rfind("|", 0) != 0) break;
    std::smatch m;
    if (inside && std::regex_search(line, m, row)) out.insert(m[1]);
  }
  return out;
}

TEST(Config, EveryListedOptionIsTakenAndDocumented) {
  for (const std::string section : {"[daemon]", "[token]", "[key.NAME]", "[peer.NAME]"}) {
    const std::string header = section == "[key.NAME]"    ? "[key.k]"
                               : section == "[peer.NAME]" ? "[peer.p]"
                                                          : section;
    const auto listed = options_listed_for(header);
    EXPECT_GE(listed.size(), 3u) << section;
    for (const auto& option : listed) {
      if (option == "SCHEME.SETTING") continue;
      for (const auto& p : parse_config_text(header + "\n" + option + " = 1\n").problems) {
        EXPECT_EQ(p.find("unknown option"), std::string::npos) << option << ": " << p;
      }
    }
    EXPECT_EQ(std::set<std::string>(listed.begin(), listed.end()), documented_options(section))
        << section;
  }
}

// uid_t is 32 bits: 4294967296 stored as a uid would be 0 (root), and (uid_t)-1 is "no uid".
TEST(Config, AnIdOutOfRangeIsAProblemNotAWrappedId) {
  const std::string head = "[token]\nuri = pkcs11:token=t\npin-file = /p\n";
  for (const char* bad : {"4294967296", "4294967295", "18446744073709551616", "-1", "+0", "-0"}) {
    for (const std::string option :
         {"[daemon]\nadmin-uids", "[daemon]\nadmin-groups", "[key.k]\nlabel = k\nallow-uids",
          "[key.k]\nlabel = k\nallow-groups"}) {
      auto r = parse_config_text(head + option + " = 33, " + bad + "\n");
      ASSERT_EQ(r.problems.size(), 1u) << option << " = " << bad;
      EXPECT_NE(r.problems[0].find(std::string("'") + bad + "' is not a"), std::string::npos)
          << r.problems[0];
      EXPECT_NE(r.problems[0].find("0 to 4294967294"), std::string::npos) << r.problems[0];
    }
  }
  auto r = parse_config_text(head +
                             "[daemon]\nadmin-uids = 4294967294\n[key.k]\nlabel = k\n"
                             "allow-groups = 4294967294\n");
  ASSERT_TRUE(r.ok()) << r.problems.front();
  EXPECT_EQ(r.config.daemon.admin_uids, (std::vector<uid_t>{4294967294u}));
  EXPECT_EQ(r.config.keys.at("k").allow_gids, (std::vector<gid_t>{4294967294u}));
}

// A key without "schemes =" signs for none (raw is never assumed); the configuration is valid,
// and the warning says why such a key signs nothing.
TEST(Config, AKeyWithoutSchemesSignsForNoneAndIsWarnedAbout) {
  auto r = parse_config_text(
      "[token]\nuri = pkcs11:token=t\npin-file = /p\n"
      "[key.bare]\nlabel = bare\nallow-uids = 33\n"
      "[key.nobody]\nlabel = nobody\nschemes = raw\n"
      "[key.full]\nlabel = full\nallow-uids = 33\nschemes = raw\n");
  ASSERT_TRUE(r.ok()) << r.problems.front();
  EXPECT_TRUE(r.config.keys.at("bare").schemes.empty());
  const auto warnings = config_warnings(r.config);
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_NE(warnings[0].find("[key.bare] has no 'schemes =' line"), std::string::npos)
      << warnings[0];
  EXPECT_NE(warnings[1].find("[key.nobody] allows no uid and no group"), std::string::npos)
      << warnings[1];
}

// The audit key must allow no peer and no scheme (it signs checkpoints only): no warning for that.
TEST(Config, TheAuditKeyIsNotWarnedAboutForAllowingNobody) {
  auto r = parse_config_text(
      "[daemon]\naudit-key = audit\n[token]\nuri = pkcs11:token=t\npin-file = /p\n"
      "[key.audit]\nlabel = audit\n[key.bare]\nlabel = bare\nallow-uids = 33\n");
  ASSERT_TRUE(r.ok()) << r.problems.front();
  const auto warnings = config_warnings(r.config);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("[key.bare]"), std::string::npos) << warnings[0];
}

TEST(Config, MissingFileIsAProblemNotAnException) {
  auto r = load_config("/nonexistent/p11signd.conf");
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_NE(r.problems[0].find("cannot open"), std::string::npos);
}

TEST(Config, UnreadablePinFileIsReported) {
  auto r = parse_config_text("[token]\nuri = pkcs11:token=x\npin-file = /nonexistent/pin\n");
  ASSERT_TRUE(r.ok());
  auto problems = check_referenced_files(r.config);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("/nonexistent/pin"), std::string::npos);
}

TEST(Config, UnwritableAuditLogIsReported) {
  auto r = parse_config_text(
      "[daemon]\naudit-log = /nonexistent-dir/audit.log\n[token]\nuri = pkcs11:token=x\npin-file = "
      "/dev/null\n");
  ASSERT_TRUE(r.ok());
  auto problems = check_referenced_files(r.config);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("audit-log"), std::string::npos);
}

TEST(Config, DuplicateOptionIsReportedWithBothLines) {
  auto r = parse_config_text("[token]\nuri = pkcs11:token=x\nuri = pkcs11:token=y\npin-file=/p\n");
  EXPECT_EQ(r.problems,
            std::vector<std::string>{"line 3: [token] uri: set more than once (first on line 2)"});
}

// What start, reload and --check-config run after parsing: the schemes' own checks.
std::vector<std::string> scheme_problems(const std::string& key_sections) {
  auto r = parse_config_text("[token]\nuri = pkcs11:token=x\npin-file = /p\n" + key_sections);
  EXPECT_TRUE(r.ok()) << r.problems.front();
  return make_scheme_routes()->check(r.config).problems;
}

TEST(ConfigSchemes, MisspelledSettingNamesKeySettingAndTheKnownOnes) {
  EXPECT_EQ(scheme_problems("[key.shop]\nlabel = shop\nschemes = mypos\nmypos.sid = 1\n"
                            "mypos.wallet_number = 61938166610\n"),
            std::vector<std::string>{
                "line 8: [key.shop] mypos.wallet_number: not a setting of scheme mypos; did you "
                "mean 'mypos.wallet-number'? (its settings: mypos.sid, mypos.wallet-number, "
                "mypos.key-index)"});
  // Also when the key does not (yet) list the scheme: a misspelling is never meant.
  EXPECT_EQ(scheme_problems("[key.shop]\nlabel = shop\nschemes = raw\njws.key-id = a\n"),
            std::vector<std::string>{
                "line 7: [key.shop] jws.key-id: not a setting of scheme jws; did you mean "
                "'jws.kid'? (its settings: jws.kid)"});
}

// The names come from the scheme registry: the nearest is suggested, and all are listed.
TEST(ConfigSchemes, UnknownSchemeSuggestsTheNearestAndListsThemAll) {
  const std::string all =
      "; the schemes are alipay, alipay-v3, amazonpay, carat, cavage, client-assertion, httpsig, "
      "jws, mypos, ob-jws, raw, swifood, wechatpay";
  EXPECT_EQ(scheme_problems("[key.shop]\nlabel = shop\nschemes = raw, amazon-pay\n"),
            std::vector<std::string>{"line 6: [key.shop] schemes: unknown scheme 'amazon-pay' "
                                     "(did you mean 'amazonpay'?)" +
                                     all});
  EXPECT_EQ(scheme_problems("[key.shop]\nlabel = shop\nschemes = paypal\n"),
            std::vector<std::string>{"line 6: [key.shop] schemes: unknown scheme 'paypal'" + all});
  auto r = parse_config_text(
      "[token]\nuri = pkcs11:token=x\npin-file = /p\n[peer.p]\nscheme = my-pos\n"
      "public-key = /p.pem\n",
      "/etc/p.conf");
  ASSERT_TRUE(r.ok()) << r.problems.front();
  const auto problems = make_scheme_routes()->check(r.config).problems;
  ASSERT_FALSE(problems.empty());
  EXPECT_EQ(
      problems.front(),
      "/etc/p.conf:5: [peer.p] scheme: unknown scheme 'my-pos' (did you mean 'mypos'?)" + all);
}

// A peer key loads whatever its type, but its scheme must verify that type: an EC key for mypos is
// refused at load, naming both; the same key for httpsig is taken.
TEST(ConfigSchemes, APeerKeyOfATypeItsSchemeCannotVerifyIsRefused) {
  const std::string ec_key =
      std::string(P11SIGND_DOCS_DIR) + "/../schemes/testdata/httpsig/test-key-ecc-p256.pub.pem";
  const auto problems_for = [&](const std::string& scheme) {
    auto r = parse_config_text("[token]\nuri = pkcs11:token=x\npin-file = /p\n[peer.p]\nscheme = " +
                                   scheme + "\npublic-key = " + ec_key + "\n",
                               "/etc/p.conf");
    EXPECT_TRUE(r.ok()) << r.problems.front();
    return make_scheme_routes()->check(r.config).problems;
  };
  EXPECT_EQ(problems_for("mypos"),
            std::vector<std::string>{"/etc/p.conf:4: [peer.p]: the key is EC P-256; scheme 'mypos' "
                                     "verifies with RSA keys only"});
  EXPECT_TRUE(problems_for("httpsig").empty());
}

// A setting under a name that is no scheme: the nearest of all schemes' settings is suggested.
TEST(ConfigSchemes, SettingOfNoSchemeSuggestsTheNearestSetting) {
  EXPECT_EQ(scheme_problems("[key.shop]\nlabel = shop\nschemes = amazonpay\n"
                            "amazonpay.public-key-id = K\namazonpay.region = eu\n"
                            "amazon-pay.algorithm = AMZN-PAY-RSASSA-PSS-V2\n"),
            std::vector<std::string>{
                "line 9: [key.shop] amazon-pay.algorithm: unknown option (did you mean "
                "'amazonpay.algorithm'?); a SCHEME.SETTING names one of the schemes: alipay, "
                "alipay-v3, amazonpay, carat, cavage, client-assertion, httpsig, jws, mypos, "
                "ob-jws, raw, "
                "swifood, wechatpay"});
}

// The settings the docs list, read from the docs themselves: every one is accepted, and every
// setting a scheme declares is documented.
std::string read_doc(const std::string& name) {
  std::ifstream in(std::string(P11SIGND_DOCS_DIR) + "/" + name);
  EXPECT_TRUE(in) << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::set<std::string> documented_settings() {
  // configuration.md: "| `mypos` | `mypos.sid`, ... |"; schemes.md: "- Settings: `mypos.sid`, ...".
  std::set<std::string> out;
  const std::regex setting("`([a-z][a-z0-9-]*)\\.[a-z-]+`");
  const std::regex table_row("^\\| `([a-z][a-z0-9-]*)` \\| `");
  for (const char* doc : {"configuration.md", "schemes.md"}) {
    std::istringstream lines(read_doc(doc));
    for (std::string line; std::getline(lines, line);) {
      std::smatch row;
      const bool listed = line.rfind("- Settings: ", 0) == 0;
      if (!listed && !std::regex_search(line, row, table_row)) continue;
      for (std::sregex_iterator it(line.begin(), line.end(), setting), end; it != end; ++it) {
        const std::string text = (*it)[0];
        if (listed || (*it)[1] == row[1]) out.insert(text.substr(1, text.size() - 2));
      }
    }
  }
  return out;
}

TEST(ConfigSchemes, EveryDocumentedSettingIsAccepted) {
  const auto documented = documented_settings();
  EXPECT_GE(documented.size(), 14u);  // the table and the scheme sections were found
  for (const auto& setting : documented) {
    const std::string scheme = setting.substr(0, setting.find('.'));
    for (const auto& p :
         scheme_problems("[key.k]\nlabel = k\nschemes = " + scheme + "\n" + setting + " = 1\n")) {
      EXPECT_EQ(p.find("not a setting"), std::string::npos) << setting << ": " << p;
    }
  }
  for (const auto& s : make_scheme_routes()->list()) {
    for (const auto& setting : s["settings"]) {
      EXPECT_TRUE(documented.count(setting.get<std::string>())) << setting << " is not documented";
    }
  }
}

}  // namespace
}  // namespace p11signd::daemon
