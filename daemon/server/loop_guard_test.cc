// No exception in an event-loop handler ends the daemon: the loop goes on, the request that failed
// is answered where it still can be, and the next request is served.
#include "daemon/server/loop_guard.h"

#include <sys/prctl.h>

#include <gtest/gtest.h>

#include <boost/asio/post.hpp>
#include <fstream>
#include <thread>

#include "daemon/observability/audited_sign.h"
#include "daemon/testing/test_support.h"

namespace p11signd::daemon {
namespace {

using namespace p11signd::daemon::testing;

TEST(LoopGuard, AHandlerThatThrowsCostsTheOthersNothing) {
  boost::asio::io_context io;
  int ran = 0;
  boost::asio::post(io, [&] {
    ++ran;
    throw std::runtime_error("handler failed");
  });
  boost::asio::post(io, [&] { ++ran; });
  boost::asio::post(io, [&] { throw 42; });  // not even a std::exception
  boost::asio::post(io, [&] { ++ran; });
  run_event_loop(io);  // returns once the work is done, like io.run()
  EXPECT_EQ(ran, 3);
}

// A 503 or 504 given before the work began is audited from its body. A body of another shape - no
// error message, not an object, not JSON - must neither lose the answer nor escape into the loop.
TEST(LoopGuard, AnAuditedReplyOfAnyBodyStillAnswers) {
  TempDir dir;
  AuditLog audit(dir.file("audit.log"));
  for (const std::string body : {"{}", "[1]", "{\"error\":5}", "not json", ""}) {
    SignAttempt attempt;
    ASSERT_TRUE(attempt.claim()->claim_failure());  // answered before any work began
    int answered = 0;
    auto reply = attempt.audited_reply(audit, Peer{}, "demo", "raw",
                                       [&](Response res) { answered = res.result_int(); });
    Response res = text_response(http::status::service_unavailable, body, "application/json");
    EXPECT_NO_THROW(reply(std::move(res))) << body;
    EXPECT_EQ(answered, 503) << body;
  }
  std::ifstream in(dir.file("audit.log"));
  std::string line;
  int lines = 0;
  while (std::getline(in, line)) {
    ++lines;
    EXPECT_NE(line.find("error: HTTP 503"), std::string::npos) << line;
  }
  EXPECT_EQ(lines, 5);
}

// The process name, as the daemon reads it for the audit line of this (in-process) client.
class ProcessName {
 public:
  explicit ProcessName(const std::string& name) {
    char old[17] = {};
    prctl(PR_GET_NAME, old);
    old_ = old;
    prctl(PR_SET_NAME, name.c_str());
  }
  ~ProcessName() { prctl(PR_SET_NAME, old_.c_str()); }

 private:
  std::string old_;
};

// The reproduction in process: one worker, a 20 ms deadline, a slow token, and a client
// whose name is not UTF-8, so that writing the deadline's audit line throws on the event loop.
// Whatever that line becomes, the daemon answers every request and serves the next one.
TEST(LoopGuard, AFloodIntoDeadlinesByAClientWithABadNameLeavesTheDaemonServing) {
  TestDaemon::Options o;
  o.max_sessions = 1;
  o.daemon_extra = "request-timeout-ms = 20\nqueue-limit = 1024\n";
  TestDaemon d(o);
  d.store().set_sign_delay(std::chrono::milliseconds(50));
  {
    ProcessName bad("\xff\xfe\xfd-flood");
    std::vector<std::unique_ptr<Client>> clients;
    for (int i = 0; i < 16; ++i) clients.push_back(std::make_unique<Client>(d.socket()));
    for (int round = 0; round < 3; ++round) {
      for (auto& c : clients) {
        c->send_raw("POST /v1/keys/demo/sign HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                    std::to_string(sign_body("x").size()) + "\r\n\r\n" + sign_body("x"));
      }
      for (auto& c : clients) {
        const auto status = c->read_response().result_int();
        EXPECT_TRUE(status == 504 || status == 200 || status == 503) << status;
      }
    }
  }
  d.store().set_sign_delay(std::chrono::milliseconds(0));
  // The worker may still be finishing what was queued; the 20 ms deadline then answers 504 again.
  Client after(d.socket());
  unsigned status = 0;
  for (int i = 0; i < 500 && status != 200; ++i) {
    status = after.post("/v1/keys/demo/sign", sign_body("after")).result_int();
  }
  EXPECT_EQ(status, 200u);
  EXPECT_EQ(d.stop(), 0);
}

}  // namespace
}  // namespace p11signd::daemon
