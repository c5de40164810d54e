// The audit trail of the real p11signd on a SoftHSM token (`--dev`, which configures an audit key):
// a client whose process name is not UTF-8 is served and audited with its name escaped, the log
// rotated by SIGHUP goes on in a new file linked to the old one, the checkpoints are signed on the
// token, and `p11sign audit verify`'s checks find every kind of tampering in that real log.
#include <sys/prctl.h>

#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include "common/audit_verify.h"
#include "common/encoding.h"
#include "daemon/lifecycle/exit_codes.h"
#include "daemon/testing/test_support.h"
#include "tests/testing/child_process.h"

namespace p11signd::daemon {
namespace {

using namespace p11signd::daemon::testing;
namespace fs = std::filesystem;

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

void write_lines(const std::string& path, const std::vector<std::string>& lines) {
  std::ofstream out(path, std::ios::trunc);
  for (const auto& l : lines) out << l << '\n';
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// This process's name (/proc/PID/comm, what the daemon audits) for as long as it lives.
class ProcessName {
 public:
  explicit ProcessName(const std::string& name) {
    prctl(PR_GET_NAME, saved_);
    prctl(PR_SET_NAME, name.c_str());
  }
  ~ProcessName() { prctl(PR_SET_NAME, saved_); }

 private:
  char saved_[17] = {};
};

class AuditProcessTest : public ::testing::Test {
 protected:
  std::string dev_dir() const { return dir_.file("dev"); }
  std::string socket() const { return dev_dir() + "/p11signd.sock"; }
  std::string log() const { return dev_dir() + "/audit.log"; }

  void start() {
    daemon_.spawn({P11SIGND_BINARY, "--dev", "--dev-dir", dev_dir()}, dir_.file("daemon.out"),
                  p11signd::testing::ChildProcess::Output::kBothToFile);
    ASSERT_TRUE(
        daemon_.wait_until([&] { return health_answers(socket(), 200); }, std::chrono::seconds(30)))
        << read_all(dir_.file("daemon.out"));
  }
  // The dev configuration with a checkpoint every 2 records, so the log has several.
  void checkpoint_often() {
    const std::string conf = dev_dir() + "/p11signd.conf";
    std::string text = read_all(conf);
    const std::string key_line = "audit-key = audit\n";
    ASSERT_NE(text.find(key_line), std::string::npos) << text;
    text.replace(text.find(key_line), key_line.size(), key_line + "audit-checkpoint-records = 2\n");
    std::ofstream(conf, std::ios::trunc) << text;
  }
  unsigned sign(const std::string& key) {
    Client c(socket());
    return c.post("/v1/keys/" + key + "/sign", R"({"alg":"RSA-SHA256","data":"aGVsbG8="})")
        .result_int();
  }
  Bytes audit_spki() {
    Client c(socket());
    const auto res = c.get("/v1/keys/audit/public-key?format=der-base64");
    EXPECT_EQ(res.result_int(), 200u) << res.body();
    return base64_decode(body_json(res).value("public_key", "")).value_or(Bytes{});
  }
  audit::VerifyReport verify(const std::vector<std::string>& paths) {
    return audit::verify_audit_files(paths, audit::VerifyOptions{spki_});
  }
  std::string problem(const std::vector<std::string>& paths) {
    return verify(paths).problem.value_or("(verified)");
  }

  TempDir dir_;
  p11signd::testing::ChildProcess daemon_;
  Bytes spki_;
};

TEST_F(AuditProcessTest, ARealLogIsSignedOnTheTokenAndEveryTamperingIsFound) {
  start();  // writes the dev configuration
  ASSERT_EQ(daemon_.stop(), kExitOk);
  checkpoint_often();
  start();
  spki_ = audit_spki();
  ASSERT_FALSE(spki_.empty());
  {
    // A 15-byte name cut through a character, after two bytes that are never UTF-8.
    ProcessName hostile("\xff\xfehostile\xe2\x82");
    EXPECT_EQ(sign("demo"), 200u);
    EXPECT_EQ(sign("audit"), 403u);  // no client may use the audit key
  }
  for (int i = 0; i < 3; ++i) EXPECT_EQ(sign("demo"), 200u);
  fs::rename(log(), log() + ".1");  // what logrotate does before its postrotate reload
  daemon_.signal(SIGHUP);
  ASSERT_TRUE(daemon_.wait_until(
      [&] { return sign("demo") == 200 && fs::exists(log()) && !lines_of(log()).empty(); },
      std::chrono::seconds(30)));
  EXPECT_EQ(sign("demo"), 200u);
  ASSERT_EQ(daemon_.stop(), kExitOk);  // writes the last checkpoint

  const std::string old_file = log() + ".1";
  const auto report = verify({old_file, log()});
  ASSERT_TRUE(report.ok()) << *report.problem;
  EXPECT_GE(report.signed_checkpoints, 3u);
  EXPECT_EQ(report.uncovered, 1u);                        // the last checkpoint's own line
  EXPECT_TRUE(verify({log()}).ok()) << problem({log()});  // alone, from its link

  const auto old_lines = lines_of(old_file);
  std::vector<nlohmann::json> hostile;
  for (const auto& l : old_lines) {
    const auto j = nlohmann::json::parse(l);
    if (j.contains("peer") && j["peer"]["comm"] == "\\xff\\xfehostile\\xe2\\x82")
      hostile.push_back(j);
  }
  ASSERT_EQ(hostile.size(), 2u) << read_all(old_file);
  EXPECT_EQ(hostile[0]["result"], "ok");
  EXPECT_EQ(hostile[1]["op"], "deny");

  const std::string copy = dir_.file("tampered.log");
  auto edited = old_lines;
  edited[0].replace(edited[0].find("\"result\":\"ok\""), 13, "\"result\":\"no\"");
  write_lines(copy, edited);
  EXPECT_EQ(problem({copy, log()}),
            copy + ":1 was changed: its SHA-256 is not the one the next record (" + copy +
                ":2) holds for it");

  auto removed = old_lines;
  removed.erase(removed.begin() + 1);
  write_lines(copy, removed);
  EXPECT_EQ(problem({copy, log()}).rfind("records seq ", 0), 0u) << problem({copy, log()});
  EXPECT_NE(problem({copy, log()}).find("are missing before " + copy + ":2 (removed)"),
            std::string::npos);

  auto reordered = old_lines;
  std::swap(reordered[1], reordered[2]);
  write_lines(copy, reordered);
  EXPECT_NE(problem({copy, log()}).find(copy + ":2 is out of order"), std::string::npos)
      << problem({copy, log()});

  auto cut = old_lines;
  cut.pop_back();
  write_lines(copy, cut);  // whole lines cut from the end: the next file's link finds them
  EXPECT_NE(problem({copy, log()}).find("are missing before " + log() + ":1 (removed)"),
            std::string::npos)
      << problem({copy, log()});
  std::string text = read_all(log());
  std::ofstream(copy, std::ios::trunc) << text.substr(0, text.size() - 20);
  EXPECT_NE(problem({copy}).find(" is cut short"), std::string::npos) << problem({copy});
}

}  // namespace
}  // namespace p11signd::daemon
