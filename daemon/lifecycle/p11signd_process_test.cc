// The p11signd executable as an operator runs it: a configuration file for a throwaway SoftHSM
// token, `--check-config` and its exit statuses, then a serving process that signs, reloads on
// SIGHUP while clients sign, and exits 0 on SIGTERM without losing an answer.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/error.hpp>
#include <boost/beast/http/error.hpp>
#include <filesystem>
#include <fstream>
#include <thread>
#include <utility>

#include "common/encoding.h"
#include "daemon/lifecycle/exit_codes.h"
#include "daemon/testing/test_support.h"
#include "pkcs11/key_generation.h"
#include "pkcs11/public_key.h"
#include "tests/testing/child_process.h"
#include "tests/testing/softhsm.h"

namespace p11signd::daemon {
namespace {

using namespace p11signd::daemon::testing;
using std::chrono::milliseconds;

struct Outcome {
  int exit_code;
  std::string output;
};

class P11signdProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto token = pkcs11::Token::open(hsm_.config());
    pkcs11::generate_key(*token, "shop", {"shop", {}}, 2048);
    pkcs11::generate_key(*token, "later", {"later", {}}, 2048);
    write_config(key_section("shop"));
  }
  std::string path(const std::string& name) const { return (hsm_.dir() / name).string(); }
  std::string socket() const { return path("p11signd.sock"); }

  static std::string key_section(const std::string& name) {
    return "[key." + name + "]\nlabel = " + name + "\nallow-uids = " + std::to_string(::getuid()) +
           "\nschemes = raw, jws\n";
  }
  void write_config(const std::string& keys, const std::string& token_extra = "") {
    std::ofstream(path("p11signd.conf"))
        << "[daemon]\nsocket = " << socket() << "\naudit-log = " << path("audit.log")
        << "\n[token]\nmodule = " << p11signd::testing::softhsm_module() << "\nuri = " << hsm_.uri()
        << "\npin-file = " << hsm_.pin_file() << "\n"
        << token_extra << keys;
  }

  Outcome check_config() {
    return run_p11signd("--check-config --config " + path("p11signd.conf"));
  }

  // Runs p11signd with arguments (a shell word list) to its end; output holds stdout and stderr.
  static Outcome run_p11signd(const std::string& arguments) {
    const std::string cmd = std::string(P11SIGND_BINARY) + " " + arguments + " 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    std::string out;
    std::array<char, 4096> buf;
    for (std::size_t n; (n = fread(buf.data(), 1, buf.size(), p)) > 0;) out.append(buf.data(), n);
    const int status = ::pclose(p);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
  }

  // Starts the daemon and waits until it answers /v1/health.
  void start() {
    daemon_.spawn({P11SIGND_BINARY, "--config", path("p11signd.conf")});
    ASSERT_TRUE(
        daemon_.wait_until([&] { return health_answers(socket(), 200); }, std::chrono::seconds(30)))
        << "p11signd did not answer on " << socket();
  }

  int stop() { return daemon_.stop(); }

  bool signature_verifies(Client& c, const std::string& key, const std::string& data) {
    auto res = c.post("/v1/keys/" + key + "/sign", sign_body(data));
    if (res.result_int() != 200) return false;
    auto der = c.get("/v1/keys/" + key + "/public-key?format=der-base64");
    const Bytes spki = *base64_decode(body_json(der)["public_key"].get<std::string>());
    const Bytes sig = *base64_decode(body_json(res)["signature"].get<std::string>());
    return pkcs11::verify_rsa(spki, false, 0, as_bytes(data), sig);
  }

  p11signd::testing::SoftHsm hsm_{"process-test"};
  p11signd::testing::ChildProcess daemon_;
};

// It was ignored: the daemon went on with --config, or /etc/p11signd/p11signd.conf, and failed
// there without a word about --dev-dir. (--check-config: on the old behaviour the run still ends.)
TEST_F(P11signdProcessTest, DevDirWithoutDevIsAUsageError) {
  const Outcome r = run_p11signd("--check-config --dev-dir " + path("dev") + " --config " +
                                 path("p11signd.conf"));
  EXPECT_EQ(r.exit_code, kExitUsage) << r.output;
  EXPECT_EQ(r.output.rfind("p11signd: --dev-dir needs --dev\n", 0), 0u) << r.output;
  EXPECT_FALSE(std::filesystem::exists(path("dev")));
}

TEST_F(P11signdProcessTest, DevWithConfigIsAUsageError) {
  const Outcome r = run_p11signd("--check-config --dev --dev-dir " + path("dev") + " --config " +
                                 path("p11signd.conf"));
  EXPECT_EQ(r.exit_code, kExitUsage) << r.output;
  EXPECT_EQ(r.output.rfind("p11signd: --dev uses DIR/p11signd.conf", 0), 0u) << r.output;
  EXPECT_FALSE(std::filesystem::exists(path("dev")));
}

TEST_F(P11signdProcessTest, CheckConfigLogsInAndResolvesTheKeys) {
  const Outcome ok = check_config();
  EXPECT_EQ(ok.exit_code, kExitOk) << ok.output;
  EXPECT_NE(ok.output.find("1 key(s) resolved on the token"), std::string::npos) << ok.output;
}

TEST_F(P11signdProcessTest, CheckConfigExitStatusSaysWhetherToRetry) {
  write_config(key_section("shop") + key_section("missing"));
  Outcome r = check_config();
  EXPECT_EQ(r.exit_code, kExitConfig) << r.output;
  EXPECT_NE(r.output.find("'missing'"), std::string::npos) << r.output;

  std::ofstream(path("wrong-pin")) << "0000\n";
  ASSERT_EQ(::chmod(path("wrong-pin").c_str(), 0600), 0);  // a PIN file must be its owner's only
  write_config(key_section("shop"));
  std::string conf;
  {
    std::ifstream in(path("p11signd.conf"));
    conf.assign(std::istreambuf_iterator<char>(in), {});
  }
  const auto at = conf.find(hsm_.pin_file());
  std::ofstream(path("p11signd.conf"))
      << conf.replace(at, hsm_.pin_file().size(), path("wrong-pin"));
  r = check_config();
  EXPECT_EQ(r.exit_code, kExitConfig) << r.output;
  EXPECT_NE(r.output.find("CKR_PIN_INCORRECT"), std::string::npos) << r.output;

  std::ofstream(path("p11signd.conf"))
      << conf.replace(conf.find(hsm_.uri()), hsm_.uri().size(), "pkcs11:token=not-plugged-in");
  r = check_config();
  EXPECT_EQ(r.exit_code, kExitUnavailable) << r.output;
  EXPECT_NE(r.output.find("not-plugged-in"), std::string::npos) << r.output;
}

TEST_F(P11signdProcessTest, CheckConfigRefusesAMisspelledSchemeSetting) {
  write_config(key_section("shop") + "mypos.sid = 000000000000010\nmypos.wallet_number = 1\n");
  const Outcome r = check_config();
  EXPECT_EQ(r.exit_code, kExitConfig) << r.output;
  const std::string conf = path("p11signd.conf");
  const std::string rest =
      ": [key.shop] mypos.wallet_number: not a setting of scheme mypos; did you mean "
      "'mypos.wallet-number'? (its settings: mypos.sid, mypos.wallet-number, mypos.key-index)\n";
  EXPECT_TRUE(r.output.starts_with("p11signd: " + conf + ":")) << r.output;
  EXPECT_TRUE(r.output.ends_with(rest)) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
}

TEST_F(P11signdProcessTest, SignsReloadsWhileClientsSignAndStopsCleanly) {
  start();
  Client c(socket());
  EXPECT_TRUE(signature_verifies(c, "shop", "hello"));
  EXPECT_EQ(c.post("/v1/keys/later/sign", sign_body("x")).result_int(), 404u);

  std::atomic<bool> running{true};
  std::atomic<int> signed_ok{0}, failed{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < 8; ++i) {
    clients.emplace_back([&] {
      Client mine(socket());
      while (running) {
        (mine.post("/v1/keys/shop/sign", sign_body("during reload")).result_int() == 200
             ? signed_ok
             : failed)++;
      }
    });
  }
  write_config(key_section("shop") + key_section("later"));
  daemon_.signal(SIGHUP);
  bool reloaded = false;
  for (int i = 0; i < 100 && !reloaded; ++i) {
    std::this_thread::sleep_for(milliseconds(50));
    reloaded = c.post("/v1/keys/later/sign", sign_body("x")).result_int() == 200;
  }
  running = false;
  for (auto& t : clients) t.join();
  EXPECT_TRUE(reloaded) << "SIGHUP did not add the key 'later'";
  EXPECT_TRUE(signature_verifies(c, "later", "after reload"));
  EXPECT_GT(signed_ok.load(), 0);
  EXPECT_EQ(failed.load(), 0) << "a reload must not fail requests";

  // Requests in flight when SIGTERM arrives are answered; then the daemon exits 0. Each client
  // signs until the daemon says it closes the connection (or closes it cleanly between requests);
  // SIGTERM is sent once every client has had an answer, so all are connected and signing.
  constexpr int kLast = 8;
  std::vector<std::thread> last;
  std::atomic<int> answered{0}, clients_answered{0};
  for (int i = 0; i < kLast; ++i) {
    last.emplace_back([&] {
      try {
        Client mine(socket());
        bool first = true;
        for (;;) {
          Response res;
          try {
            res = mine.post("/v1/keys/shop/sign", sign_body("at stop"));
          } catch (const boost::system::system_error& e) {
            // Clean: the daemon closed the connection before it read this request (reset: it
            // dropped it unread; broken pipe: closed before it was sent) or with nothing of an
            // answer sent (end of stream; beast says partial_message when part of one came).
            // Anything else, half an answer first of all, is an answer lost.
            const auto ec = e.code();
            EXPECT_TRUE(ec == http::error::end_of_stream ||
                        ec == boost::asio::error::connection_reset ||
                        ec == boost::asio::error::broken_pipe)
                << e.what();
            return;
          }
          EXPECT_TRUE(res.result_int() == 200 || res.result_int() == 503) << res.body();
          if (res.result_int() == 200) {
            answered++;
            if (std::exchange(first, false)) clients_answered++;
          }
          if (!res.keep_alive()) return;  // the daemon closes after this answer
        }
      } catch (const std::exception& e) {  // connecting, or anything unforeseen: not a clean end
        ADD_FAILURE() << e.what();
      }
    });
  }
  EXPECT_TRUE(
      daemon_.wait_until([&] { return clients_answered == kLast; }, std::chrono::seconds(30)))
      << clients_answered << " of " << kLast << " clients had an answer before SIGTERM";
  const int exit_code = stop();
  if (exit_code == -1) daemon_.signal(SIGKILL);  // hung: end it, so the clients end too
  EXPECT_EQ(exit_code, kExitOk);
  for (auto& t : last) t.join();
  EXPECT_GT(answered.load(), 0);
  EXPECT_FALSE(std::filesystem::exists(socket())) << "the socket file is removed at exit";
}

}  // namespace
}  // namespace p11signd::daemon
