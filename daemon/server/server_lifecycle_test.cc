// Reload (SIGHUP) while clients sign, a bad file keeping the old configuration, and shutdown
// (SIGTERM) with requests in flight: every request gets its answer or a clean close, never half an
// answer.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <boost/beast/http/error.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <iostream>
#include <thread>

#include "daemon/routes/public_key.h"
#include "daemon/testing/reload_under_load.h"
#include "daemon/testing/test_support.h"

namespace p11signd::daemon {
namespace {

using namespace p11signd::daemon::testing;

const std::string kDemoOnly = "[key.demo]\nlabel = demo\nallow-uids = 0\nschemes = raw\n";
const std::string kDemoAndSecond =
    kDemoOnly + "[key.second]\nlabel = second\nallow-uids = 0\nschemes = raw\n";

TEST(ServerLifecycle, ReloadAddsKeysWithoutDroppingConnections) {
  TestDaemon::Options o;
  o.sections = kDemoOnly;
  TestDaemon d(o);
  Client c(d.socket());
  EXPECT_EQ(c.post("/v1/keys/second/sign", sign_body("x")).result_int(), 404u);
  d.write_config(kDemoAndSecond);
  EXPECT_TRUE(d.daemon().reload_now().empty());
  EXPECT_EQ(c.post("/v1/keys/second/sign", sign_body("x")).result_int(), 200u);  // same connection
}

TEST(ServerLifecycle, ReloadChangesAccessRules) {
  TestDaemon::Options o;
  o.sections = kDemoOnly;
  TestDaemon d(o);
  Client c(d.socket());
  EXPECT_EQ(c.post("/v1/keys/demo/sign", sign_body("x")).result_int(), 200u);
  d.write_config("[key.demo]\nlabel = demo\nallow-uids = 33\nschemes = raw\n");
  EXPECT_TRUE(d.daemon().reload_now().empty());
  EXPECT_EQ(c.post("/v1/keys/demo/sign", sign_body("x")).result_int(), 403u);
}

TEST(ServerLifecycle, BadFileKeepsTheOldConfigurationAndSaysWhy) {
  TestDaemon::Options o;
  o.sections = kDemoOnly;
  TestDaemon d(o);
  Client c(d.socket());
  d.write_config(kDemoOnly + "[key.broken]\nallow-uids = nobody-such-user\n");
  auto problems = d.daemon().reload_now();
  ASSERT_FALSE(problems.empty());
  EXPECT_NE(problems[0].find("[key.broken]"), std::string::npos) << problems[0];
  EXPECT_EQ(c.post("/v1/keys/demo/sign", sign_body("x")).result_int(), 200u);

  // A key the token does not have is refused the same way.
  d.write_config(kDemoOnly + "[key.ghost]\nlabel = ghost\nallow-uids = 0\n");
  problems = d.daemon().reload_now();
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("ghost"), std::string::npos);
  EXPECT_EQ(c.post("/v1/keys/ghost/sign", sign_body("x")).result_int(), 404u);
  EXPECT_EQ(c.post("/v1/keys/demo/sign", sign_body("x")).result_int(), 200u);
}

// logrotate renames the file, then reloads: the next line goes to the new file, even when the
// configuration file has meanwhile become unusable (the reload is refused, the rotation is not).
TEST(ServerLifecycle, ReloadReopensTheAuditLog) {
  TestDaemon::Options o;
  o.sections = kDemoOnly;
  TestDaemon d(o);
  Client c(d.socket());
  ASSERT_EQ(c.post("/v1/keys/demo/sign", sign_body("x")).result_int(), 200u);
  const std::size_t before = d.audit_records().size();
  std::filesystem::rename(d.audit_path(), d.audit_path() + ".1");
  d.write_config(kDemoOnly + "[key.broken]\nallow-uids = nobody-such-user\n");
  EXPECT_FALSE(d.daemon().reload_now().empty());
  ASSERT_EQ(c.post("/v1/keys/demo/sign", sign_body("x")).result_int(), 200u);
  const auto fresh = d.audit_records();
  ASSERT_EQ(fresh.size(), 1u);
  EXPECT_EQ(fresh[0]["op"], "sign");
  EXPECT_EQ(fresh[0]["result"], "ok");
  std::ifstream rotated(d.audit_path() + ".1");
  std::size_t rotated_lines = 0;
  for (std::string line; std::getline(rotated, line);) ++rotated_lines;
  EXPECT_EQ(rotated_lines, before);
}

// A reload of `sections` started and kept waiting inside the store's set_keys() (as a token busy
// generating a key would) until release is set; outcome is what reload_now() returns.
struct HeldReload {
  HeldReload(TestDaemon& d, const std::string& sections) {
    std::promise<void> entered;
    d.store().hold_set_keys(release.get_future().share(), &entered);
    d.write_config(sections);
    outcome = std::async(std::launch::async, [&d] { return d.daemon().reload_now(); });
    entered.get_future().wait();
  }
  std::promise<void> release;
  std::future<std::vector<std::string>> outcome;
};

// The keys are resolved off the event loop: while the token keeps a reload waiting (a key being
// generated holds its admin lock), requests are still answered; the reload then completes.
TEST(ServerLifecycle, RequestsAreAnsweredWhileAReloadWaitsForTheToken) {
  TestDaemon::Options o;
  o.sections = kDemoOnly;
  TestDaemon d(o);
  HeldReload reload(d, kDemoAndSecond);
  auto signed_meanwhile = std::async(std::launch::async, [&] {
    Client c(d.socket());
    return c.post("/v1/keys/demo/sign", sign_body("x")).result_int();
  });
  const bool answered =
      signed_meanwhile.wait_for(std::chrono::seconds(5)) == std::future_status::ready;
  reload.release.set_value();
  EXPECT_TRUE(answered) << "the event loop waited for the reload's token work";
  EXPECT_EQ(signed_meanwhile.get(), 200u);
  EXPECT_TRUE(reload.outcome.get().empty());
  Client c(d.socket());
  EXPECT_EQ(c.post("/v1/keys/second/sign", sign_body("x")).result_int(), 200u);
}

// A reload asked for while another waits for the token follows it, and its caller gets the outcome
// of its own reading of the file, not of the one before.
TEST(ServerLifecycle, AReloadAskedForDuringAnotherGetsItsOwnOutcome) {
  TestDaemon::Options o;
  o.sections = kDemoOnly;
  TestDaemon d(o);
  HeldReload first(d, kDemoAndSecond);
  d.write_config(kDemoOnly + "[key.ghost]\nlabel = ghost\nallow-uids = 0\n");
  auto second = std::async(std::launch::async, [&] { return d.daemon().reload_now(); });
  // Release the first only once the second waits behind it: released earlier, the second would
  // simply run after it and the queued case would go untested.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (d.daemon().reloads_waiting_to_follow() < 1 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const std::size_t queued = d.daemon().reloads_waiting_to_follow();
  first.release.set_value();
  EXPECT_EQ(queued, 1u) << "the second reload did not queue behind the first";
  EXPECT_TRUE(first.outcome.get().empty());
  const auto problems = second.get();
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("ghost"), std::string::npos) << problems[0];
}

TEST(ServerLifecycle, ReloadWhileFiftyClientsSign) {
  TestDaemon::Options o;
  o.sections = kDemoAndSecond;
  TestDaemon d(o);
  std::atomic<int> ok{0};
  std::atomic<int> bad{0};
  std::atomic<bool> done{false};
  // Reloads that completed while signing was under way (before the 500th signature).
  std::atomic<int> reloads_amid_signing{0};
  const auto wait_until = [](const std::function<bool()>& condition) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!condition() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  };
  std::vector<std::thread> clients;
  for (int i = 0; i < 50; ++i) {
    clients.emplace_back([&, i] {
      Client c(d.socket());
      for (int n = 0; n < 10; ++n) {
        // The last request waits for a reload to have completed: however the threads are
        // scheduled, a reload happens while these connections are open and signing.
        if (n == 9) wait_until([&] { return reloads_amid_signing > 0; });
        auto res = c.post("/v1/keys/demo/sign", sign_body(std::to_string(i * 100 + n)));
        (res.result_int() == 200 ? ok : bad)++;
      }
    });
  }
  std::thread reloader([&] {
    wait_until([&] { return ok + bad > 0; });  // reloads start once signing has
    for (int r = 0; r < 10 && !done; ++r) {
      d.write_config(r % 2 ? kDemoAndSecond : kDemoOnly);
      EXPECT_TRUE(d.daemon().reload_now().empty());
      if (ok < 500) ++reloads_amid_signing;
    }
  });
  for (auto& t : clients) t.join();
  done = true;
  reloader.join();
  EXPECT_GE(reloads_amid_signing, 1);
  EXPECT_EQ(ok, 500);
  EXPECT_EQ(bad, 0);
}

// A reload gives the name `k` another key and another rule at once: `k` is demo for this uid in one
// configuration and second for another uid in the other. Signing is slowed so that requests wait
// in the queue across reloads; still no 200 is signed by second (a new key under the old rule),
// and none admitted by the old rule is signed after its key left (that is the 409).
TEST(ServerLifecycle, NoSignatureMixesOneConfigurationsKeyWithTheOthersRule) {
  ReloadUnderLoad plan;
  plan.key = "k";
  const std::string me = std::to_string(::getuid());
  const std::string not_me = std::to_string(::getuid() + 1);
  plan.allowed_sections = "[key.k]\nlabel = demo\nallow-uids = " + me + "\nschemes = raw\n";
  plan.refused_sections = "[key.k]\nlabel = second\nallow-uids = " + not_me + "\nschemes = raw\n";
  TestDaemon::Options o;
  o.sections = plan.allowed_sections;
  TestDaemon d(o);
  plan.allowed_spki = spki_der(d.store().public_key("k").get());
  d.store().set_sign_delay(std::chrono::milliseconds(2));
  const ReloadOutcome out = sign_while_reloading(d, plan);
  std::cout << "signed by demo: " << out.signed_by_allowed_key << ", refused: " << out.refused
            << ", key changed while queued: " << out.key_changed << '\n';
  EXPECT_EQ(out.reloads, plan.reloads);
  EXPECT_EQ(out.signed_by_other_key, 0);
  EXPECT_EQ(out.other, 0);
  EXPECT_GT(out.signed_by_allowed_key, 0);
}

TEST(ServerLifecycle, ShutdownAnswersRequestsInFlightThenExitsZero) {
  TestDaemon d;
  d.store().set_sign_delay(std::chrono::milliseconds(150));
  const std::string body = sign_body("in flight");
  const std::string req = "POST /v1/keys/demo/sign HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                          std::to_string(body.size()) + "\r\n\r\n" + body;
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 10; ++i) {
    clients.push_back(std::make_unique<Client>(d.socket()));
    clients.back()->send_raw(req);
  }
  Client idle(d.socket());
  // Both workers signing means the daemon has read requests: those are in flight and must be
  // answered.
  for (int i = 0; i < 1000 && d.store().signs_started() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_GE(d.store().signs_started(), 2u);
  // Every signature started before stop() belongs to a request in flight: each must end in a 200.
  // (Later ones may also be signed, or refused with 503, or closed cleanly before any answer.)
  const unsigned long started = d.store().signs_started();
  std::thread stopper([&] { EXPECT_EQ(d.stop(), 0); });
  int answered = 0;
  unsigned long signed_ok = 0;
  for (auto& c : clients) {
    try {
      auto res = c->read_response();
      EXPECT_TRUE(res.result_int() == 200 || res.result_int() == 503) << res.body();
      EXPECT_FALSE(res.keep_alive());  // the daemon closes after the answer while stopping
      ++answered;
      if (res.result_int() == 200) ++signed_ok;
    } catch (const boost::system::system_error& e) {
      // A clean close before any byte of an answer is allowed; half an answer is not.
      EXPECT_NE(e.code(), http::error::partial_message) << e.what();
    }
  }
  EXPECT_TRUE(idle.closed_by_peer());
  stopper.join();
  EXPECT_GE(answered, 1);
  EXPECT_GE(signed_ok, started) << "a request whose signing had started was not answered";
  // And every signature made, before or during the drain, went out in an answer.
  EXPECT_EQ(signed_ok, d.store().sign_count()) << "a signed request was not answered";
}

// A request that was still being read when the drain began is answered as the last one, and the
// daemon does not wait for the drain deadline to close its connection.
TEST(ServerLifecycle, ARequestReadDuringTheDrainIsAnsweredAndClosed) {
  TestDaemon::Options o;
  o.daemon_extra = "request-timeout-ms = 30000\n";  // the drain deadline is 40 s
  TestDaemon d(o);
  const std::string body = sign_body("late");
  Client c(d.socket());
  c.send_raw("POST /v1/keys/demo/sign HTTP/1.1\r\nHost: x\r\nContent-Length: " +
             std::to_string(body.size()) + "\r\n\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the header has been read
  const auto start = std::chrono::steady_clock::now();
  std::thread stopper([&] { EXPECT_EQ(d.stop(), 0); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the drain has begun
  c.send_raw(body);
  auto res = c.read_response();
  EXPECT_EQ(res.result_int(), 200u) << res.body();
  EXPECT_FALSE(res.keep_alive());
  EXPECT_TRUE(c.closed_by_peer());
  stopper.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20))
      << "the daemon waited for the drain deadline";
}

TEST(ServerLifecycle, RealSignalsReloadAndStop) {
  TestDaemon::Options o;
  o.sections = kDemoOnly;
  o.signals = true;
  TestDaemon d(o);
  Client c(d.socket());
  d.write_config(kDemoAndSecond);
  ASSERT_EQ(kill(getpid(), SIGHUP), 0);
  // The reload happens on the daemon's thread; poll until it shows (no timing assertion beyond a
  // bound).
  unsigned status = 0;
  for (int i = 0; i < 1000 && status != 200; ++i) {
    status = c.post("/v1/keys/second/sign", sign_body("x")).result_int();
    if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(status, 200u);
  ASSERT_EQ(kill(getpid(), SIGTERM), 0);
  EXPECT_EQ(d.wait_for_exit(), 0);
}

// Socket activation and SIGTERM in a child process, as systemd would run it: the socket arrives as
// fd 3 with LISTEN_FDS/LISTEN_PID, the configured path is never created, and SIGTERM ends the
// process with status 0.
TEST(ServerLifecycle, AdoptsTheSocketSystemdPassesAndExitsZeroOnSigterm) {
  TempDir dir;
  const std::string activated = dir.file("activated.sock");
  boost::asio::io_context io;
  boost::asio::local::stream_protocol::acceptor listener(
      io, boost::asio::local::stream_protocol::endpoint(activated));
  const std::string conf = dir.file("p11signd.conf");
  std::ofstream(conf) << "[daemon]\nsocket = " << dir.file("unused.sock")
                      << "\naudit-log = " << dir.file("audit.log")
                      << "\n[token]\nuri = pkcs11:token=t\npin-file = /dev/null\n"
                      << kDemoOnly;
  ConfigResult loaded = load_config(conf);
  ASSERT_TRUE(loaded.ok());
  auto key = shared_key(0);
  const pid_t child = fork();  // the test process has no other threads here: fork is safe
  if (child == 0) {
    dup2(listener.native_handle(), 3);
    setenv("LISTEN_FDS", "1", 1);
    setenv("LISTEN_PID", std::to_string(getpid()).c_str(), 1);
    auto store = std::make_unique<FakeKeyStore>();
    store->add_token_key("demo", key);
    if (!check_with_store(loaded.config, *store).problems.empty()) _exit(10);
    Daemon daemon(loaded.config, std::move(store));  // real signal handling, socket activation on
    _exit(daemon.run());
  }
  listener.close();
  {
    Client c(activated);
    EXPECT_EQ(c.post("/v1/keys/demo/sign", sign_body("activated")).result_int(), 200u);
  }
  EXPECT_FALSE(std::filesystem::exists(dir.file("unused.sock")));
  // SIGTERM may race the child's signal set-up only before its first answer, which has come
  // already.
  ASSERT_EQ(kill(child, SIGTERM), 0);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

// A token call that never returns must not keep the process from exiting after SIGTERM.
TEST(ServerLifecycle, HungTokenCallDoesNotBlockExit) {
  TempDir dir;
  const std::string sock = dir.file("s.sock");
  const std::string conf = dir.file("p11signd.conf");
  std::ofstream(conf) << "[daemon]\nsocket = " << sock << "\nrequest-timeout-ms = 100\n"
                      << "read-timeout-ms = 100\naudit-log = " << dir.file("audit.log")
                      << "\n[token]\nuri = pkcs11:token=t\npin-file = /dev/null\n"
                      << kDemoOnly;
  ConfigResult loaded = load_config(conf);
  ASSERT_TRUE(loaded.ok());
  auto key = shared_key(0);
  const pid_t child = fork();  // no other threads here: fork is safe
  if (child == 0) {
    auto store = std::make_unique<FakeKeyStore>();
    store->add_token_key("demo", key);
    store->set_sign_delay(std::chrono::hours(1));  // "hung"
    if (!check_with_store(loaded.config, *store).problems.empty()) _exit(10);
    DaemonOptions options;
    options.socket_activation = false;
    Daemon daemon(loaded.config, std::move(store), options);
    _exit(daemon.run());
  }
  std::unique_ptr<Client> c;
  for (int i = 0; i < 1000 && !c; ++i) {  // until the child listens
    try {
      c = std::make_unique<Client>(sock);
    } catch (const boost::system::system_error&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  ASSERT_TRUE(c);
  EXPECT_EQ(c->post("/v1/keys/demo/sign", sign_body("x")).result_int(), 504u);
  c.reset();
  ASSERT_EQ(kill(child, SIGTERM), 0);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 1);
  EXPECT_FALSE(std::filesystem::exists(sock));
}

TEST(ServerLifecycle, StopsPromptlyWhenIdle) {
  TestDaemon d;
  Client c(d.socket());
  EXPECT_EQ(c.get("/v1/keys").result_int(), 200u);
  EXPECT_EQ(d.stop(), 0);
  EXPECT_TRUE(c.closed_by_peer());
}

}  // namespace
}  // namespace p11signd::daemon
