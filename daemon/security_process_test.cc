// docs/security.md's promises about secrets, checked on a running p11signd (dev mode: a throwaway
// SoftHSM token whose PINs are random, so that finding one by chance is impossible): the PINs are
// in no log line, audit line, /proc/PID/cmdline or /proc/PID/environ, and no route hands out
// private key material.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <thread>

#include "daemon/exit_codes.h"
#include "daemon/test_support.h"

extern char** environ;

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
    const std::string dev = dir_.file("dev");
    std::array<const char*, 5> argv{P11SIGND_BINARY, "--dev", "--dev-dir", dev.c_str(), nullptr};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log_path().c_str(), O_WRONLY | O_CREAT, 0600);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    const int spawned = ::posix_spawn(&pid_, P11SIGND_BINARY, &actions, nullptr,
                                      const_cast<char**>(argv.data()), environ);
    posix_spawn_file_actions_destroy(&actions);
    ASSERT_EQ(spawned, 0);
    for (int i = 0; i < 600; ++i) {
      try {
        Client c(socket());
        if (c.get("/v1/health").result_int() == 200) return;
      } catch (const std::exception&) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL() << "p11signd --dev did not answer:\n" << read_all(log_path());
  }
  void TearDown() override {
    if (pid_ > 0) stop();
  }

  int stop() {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  std::string dev(const std::string& name) const { return dir_.file("dev/" + name); }
  std::string socket() const { return dev("p11signd.sock"); }
  std::string log_path() const { return dir_.file("daemon.log"); }

  TempDir dir_;
  pid_t pid_ = -1;
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

  const std::string proc = "/proc/" + std::to_string(pid_);
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
  answers.push_back(c.get("/v1/keys"));
  answers.push_back(c.get("/v1/keys/demo/public-key"));
  answers.push_back(c.get("/v1/keys/demo/public-key?format=jwk"));
  answers.push_back(c.get("/v1/keys/demo/public-key?format=der-base64"));
  for (const auto& res : answers) {
    EXPECT_EQ(res.body().find("PRIVATE"), std::string::npos) << res.body();
    for (const char* member : {"\"d\"", "\"p\"", "\"q\"", "\"dp\"", "\"dq\"", "\"qi\""}) {
      EXPECT_EQ(res.body().find(member), std::string::npos) << member << " in " << res.body();
    }
  }
  EXPECT_EQ(answers[answers.size() - 3].result_int(), 200u);  // the public key itself is served
}

}  // namespace
}  // namespace p11signd::daemon
