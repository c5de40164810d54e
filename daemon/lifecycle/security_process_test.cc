// docs/security.md's promises about secrets, checked on a running p11signd (dev mode: a throwaway
// SoftHSM token whose PINs are random, so that finding one by chance is impossible): the PINs are
// in no log line, audit line, /proc/PID/cmdline or /proc/PID/environ, and no route hands out
// private key material.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <thread>

#include "daemon/lifecycle/exit_codes.h"
#include "daemon/testing/test_support.h"
#include "tests/testing/child_process.h"

namespace p11signd::daemon {
namespace {

using namespace p11signd::daemon::testing;

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

std::string first_line(const std::string& path) {
  std::string line;
  std::getline(std::ifstream(path), line);
  return line;
}

class DevDaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    daemon_.spawn({P11SIGND_BINARY, "--dev", "--dev-dir", dir_.file("dev")}, log_path(),
                  p11signd::testing::ChildProcess::Output::kBothToFile);
    ASSERT_TRUE(
        daemon_.wait_until([&] { return health_answers(socket(), 200); }, std::chrono::seconds(30)))
        << "p11signd --dev did not answer:\n"
        << read_all(log_path());
  }

  int stop() { return daemon_.stop(); }

  std::string dev(const std::string& name) const { return dir_.file("dev/" + name); }
  std::string socket() const { return dev("p11signd.sock"); }
  std::string log_path() const { return dir_.file("daemon.log"); }

  TempDir dir_;
  p11signd::testing::ChildProcess daemon_;
};

TEST_F(DevDaemonTest, PinsAreInNoLogAuditLineCmdlineOrEnviron) {
  const std::string pin = first_line(dev("pin"));
  const std::string so_pin = first_line(dev("so-pin"));
  ASSERT_EQ(pin.size(), 24u) << "dev mode makes 12 random bytes, hex";
  ASSERT_EQ(so_pin.size(), 24u);

  Client c(socket());
  EXPECT_EQ(c.post("/v1/keys/demo/sign", sign_body("hello")).result_int(), 200u);
  EXPECT_EQ(c.post("/v1/keys/nope/sign", sign_body("hello")).result_int(), 404u);
  EXPECT_EQ(c.post("/v1/keys/demo/sign", "{not json").result_int(), 400u);
  EXPECT_EQ(c.get("/v1/health").result_int(), 200u);
  const std::string metrics = c.get("/metrics").body();

  const std::string proc = "/proc/" + std::to_string(daemon_.pid());
  const std::string cmdline = read_all(proc + "/cmdline");
  const std::string environ_text = read_all(proc + "/environ");
  ASSERT_NE(cmdline.find("--dev"), std::string::npos) << "read the daemon's own cmdline";
  EXPECT_EQ(stop(), kExitOk);

  const std::string log = read_all(log_path());
  const std::string audit = read_all(dev("audit.log"));
  ASSERT_NE(log.find("listening on"), std::string::npos) << log;
  ASSERT_NE(audit.find("\"op\":\"sign\""), std::string::npos) << audit;
  for (const auto& [what, text] : {std::pair{"log", log},
                                   {"audit log", audit},
                                   {"cmdline", cmdline},
                                   {"environ", environ_text},
                                   {"metrics", metrics}}) {
    EXPECT_EQ(text.find(pin), std::string::npos) << "the user PIN is in the " << what;
    EXPECT_EQ(text.find(so_pin), std::string::npos) << "the SO PIN is in the " << what;
  }
}

// No route exports a private key: the paths someone might try do not exist or refuse the format,
// and nothing the daemon says about a key holds private material.
TEST_F(DevDaemonTest, NoRouteHandsOutAPrivateKey) {
  Client c(socket());
  std::vector<Response> answers;
  answers.push_back(c.get("/v1/keys/demo/private-key"));
  answers.push_back(c.get("/v1/keys/demo/export"));
  answers.push_back(c.post("/v1/keys/demo/export", "{}"));
  answers.push_back(c.get("/v1/keys/demo/public-key?format=pkcs8"));
  answers.push_back(c.get("/v1/keys/demo/public-key?format=private"));
  for (const auto& res : answers) {
    EXPECT_TRUE(res.result_int() == 400 || res.result_int() == 404 || res.result_int() == 405)
        << res.result_int() << " " << res.body();
  }
  // What the daemon says about a key: each must be a real answer (200), or the search for private
  // material below would run over an error body.
  for (const char* target :
       {"/v1/keys", "/v1/keys/demo/public-key", "/v1/keys/demo/public-key?format=jwk",
        "/v1/keys/demo/public-key?format=der-base64"}) {
    answers.push_back(c.get(target));
    EXPECT_EQ(answers.back().result_int(), 200u) << target << ": " << answers.back().body();
  }
  for (const auto& res : answers) {
    EXPECT_EQ(res.body().find("PRIVATE"), std::string::npos) << res.body();
    for (const char* member : {"\"d\"", "\"p\"", "\"q\"", "\"dp\"", "\"dq\"", "\"qi\""}) {
      EXPECT_EQ(res.body().find(member), std::string::npos) << member << " in " << res.body();
    }
  }
}

}  // namespace
}  // namespace p11signd::daemon
