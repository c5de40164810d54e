// HTTP over the socket: keep-alive, pipelining, deadlines, body limits, garbage, many connections,
// the connection cap, the socket file itself.
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <thread>

#include "daemon/testing/test_support.h"

namespace p11signd::daemon {
namespace {

using namespace p11signd::daemon::testing;

std::string raw_sign_request(const std::string& data, bool close = false) {
  const std::string body = sign_body(data);
  return "POST /v1/keys/demo/sign HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
         std::string(close ? "Connection: close\r\n" : "") +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

TEST(ServerTransport, KeepAliveServesManyRequestsOnOneConnection) {
  TestDaemon d;
  Client c(d.socket());
  for (int i = 0; i < 20; ++i) {
    auto res = c.post("/v1/keys/demo/sign", sign_body("n" + std::to_string(i)));
    ASSERT_EQ(res.result_int(), 200u);
    EXPECT_TRUE(res.keep_alive());
  }
}

TEST(ServerTransport, PipelinedRequestsAreAnsweredInOrder) {
  TestDaemon d;
  Client c(d.socket());
  c.send_raw(raw_sign_request("one") + "GET /v1/keys HTTP/1.1\r\nHost: x\r\n\r\n" +
             "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n" + raw_sign_request("two", true));
  EXPECT_EQ(body_json(c.read_response())["key"], "demo");
  EXPECT_TRUE(body_json(c.read_response()).contains("keys"));
  EXPECT_EQ(c.read_response().result_int(), 404u);
  auto last = c.read_response();
  EXPECT_EQ(last.result_int(), 200u);
  EXPECT_FALSE(last.keep_alive());
  EXPECT_TRUE(c.closed_by_peer());
}

TEST(ServerTransport, SlowClientGets408) {
  TestDaemon::Options o;
  o.daemon_extra = "read-timeout-ms = 200\n";
  TestDaemon d(o);
  Client c(d.socket());
  c.send_raw("POST /v1/keys/demo/sign HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"da");
  auto res = c.read_response();
  EXPECT_EQ(res.result_int(), 408u);
  EXPECT_EQ(error_code_of(res), "request_timeout");
  EXPECT_TRUE(c.closed_by_peer());
}

TEST(ServerTransport, IdleKeepAliveConnectionIsClosedQuietly) {
  TestDaemon::Options o;
  o.daemon_extra = "idle-timeout-ms = 100\n";
  TestDaemon d(o);
  Client c(d.socket());
  EXPECT_EQ(c.get("/v1/keys").result_int(), 200u);
  EXPECT_TRUE(c.closed_by_peer());
}

TEST(ServerTransport, OversizedBodyIs413BeforeItIsRead) {
  TestDaemon::Options o;
  o.daemon_extra = "max-request-bytes = 2048\n";
  TestDaemon d(o);
  Client c(d.socket());
  // Only the header is sent: the answer must come without the 10 MB body.
  c.send_raw("POST /v1/keys/demo/sign HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n");
  auto res = c.read_response();
  EXPECT_EQ(res.result_int(), 413u);
  EXPECT_EQ(error_code_of(res), "payload_too_large");
}

TEST(ServerTransport, OversizedChunkedBodyIs413) {
  TestDaemon::Options o;
  o.daemon_extra = "max-request-bytes = 2048\n";
  TestDaemon d(o);
  Client c(d.socket());
  std::string chunked =
      "POST /v1/keys/demo/sign HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 4; ++i) chunked += "400\r\n" + std::string(1024, 'a') + "\r\n";
  c.send_raw(chunked);
  EXPECT_EQ(c.read_response().result_int(), 413u);
  Client m(d.socket());
  EXPECT_NE(m.get("/metrics")
                .body()
                .find("p11signd_requests_total{route=\"(transport)\",status=\"413\"} 1"),
            std::string::npos);
}

TEST(ServerTransport, ExpectContinueIsHonoured) {
  TestDaemon d;
  Client c(d.socket());
  const std::string body = sign_body(std::string(3000, 'z'));
  c.send_raw(
      "POST /v1/keys/demo/sign HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n");
  EXPECT_EQ(c.read_response().result_int(), 100u);
  c.send_raw(body);
  EXPECT_EQ(c.read_response().result_int(), 200u);
}

TEST(ServerTransport, GarbageGets400AndDisturbsNoOtherConnection) {
  TestDaemon d;
  Client good(d.socket());
  EXPECT_EQ(good.get("/v1/keys").result_int(), 200u);
  for (const std::string& garbage :
       {std::string("GARBAGE\r\n\r\n"), std::string("GET / HTTP/9.9\r\n\r\n"),
        std::string("POST /v1/keys/demo/sign HTTP/1.1\r\nContent-Length: abc\r\n\r\n"),
        std::string("\x00\x01\x02\xff\r\n\r\n", 8)}) {
    Client bad(d.socket());
    bad.send_raw(garbage);
    auto res = bad.read_response();
    EXPECT_EQ(res.result_int(), 400u);
    EXPECT_EQ(error_code_of(res), "bad_request");
    EXPECT_TRUE(bad.closed_by_peer());
  }
  EXPECT_EQ(good.post("/v1/keys/demo/sign", sign_body("still fine")).result_int(), 200u);
}

TEST(ServerTransport, FiveHundredConcurrentConnections) {
  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  if (lim.rlim_cur < 2048) {
    lim.rlim_cur = std::min<rlim_t>(4096, lim.rlim_max);
    setrlimit(RLIMIT_NOFILE, &lim);
  }
  if (lim.rlim_cur < 1100) GTEST_SKIP() << "RLIMIT_NOFILE too low for 500 connections";
  // All 500 are this test's uid: its share is raised to all of them.
  TestDaemon::Options o;
  o.daemon_extra = "max-requests-per-uid = 500\n";
  TestDaemon d(o);
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 500; ++i) clients.push_back(std::make_unique<Client>(d.socket()));
  for (std::size_t i = 0; i < 500; ++i)
    clients[i]->send_raw(raw_sign_request("c" + std::to_string(i)));
  int ok = 0;
  for (auto& c : clients) ok += c->read_response().result_int() == 200;
  EXPECT_EQ(ok, 500);
}

TEST(ServerTransport, ConnectionsBeyondTheCapGet503) {
  TestDaemon::Options o;
  o.daemon_extra = "max-connections = 2\n";
  TestDaemon d(o);
  Client a(d.socket());
  Client b(d.socket());
  EXPECT_EQ(a.get("/v1/keys").result_int(), 200u);
  EXPECT_EQ(b.get("/v1/keys").result_int(), 200u);
  Client third(d.socket());
  auto res = third.read_response();
  EXPECT_EQ(res.result_int(), 503u);
  EXPECT_EQ(error_code_of(res), "too_many_connections");
  EXPECT_EQ(a.get("/v1/keys").result_int(), 200u);
}

// One uid at its share of connections is turned away at the door - counted, audited - and gets
// its place back when it closes one.
TEST(ServerTransport, ConnectionsOfOneUidBeyondItsShareGet503) {
  TestDaemon::Options o;
  o.daemon_extra = "max-connections-per-uid = 2\n";
  TestDaemon d(o);
  auto a = std::make_unique<Client>(d.socket());
  Client b(d.socket());
  EXPECT_EQ(a->get("/v1/keys").result_int(), 200u);
  EXPECT_EQ(b.get("/v1/keys").result_int(), 200u);
  Client third(d.socket());
  auto res = third.read_response();
  EXPECT_EQ(res.result_int(), 503u);
  EXPECT_EQ(error_code_of(res), "too_many_connections_per_uid");
  EXPECT_NE(body_json(res)["error"]["message"].get<std::string>().find("max-connections-per-uid"),
            std::string::npos);
  bool audited = false;
  for (const auto& rec : d.audit_records()) {
    audited = audited || (rec["op"] == "refuse" && rec["peer"]["uid"] == 0 &&
                          rec["result"].get<std::string>().find("too_many_connections_per_uid") !=
                              std::string::npos);
  }
  EXPECT_TRUE(audited);
  EXPECT_NE(b.get("/metrics")
                .body()
                .find("p11signd_denials_total{rule=\"too_many_connections_per_uid\"} 1"),
            std::string::npos);
  a.reset();  // its place is given back once the daemon sees it closed
  int status = 0;
  for (int i = 0; i < 200 && status != 200; ++i) {
    Client next(d.socket());
    try {
      status = next.get("/v1/keys").result_int();
    } catch (const std::exception&) {
      status = 0;  // refused and closed while the daemon had not seen the close yet
    }
    if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(status, 200);
}

// The requests of one uid in flight at once: one more is answered 429 before its body is read, and
// audited as a refusal. Which of the two is refused depends on which the daemon reads first.
TEST(ServerTransport, RequestsOfOneUidBeyondItsShareGet429) {
  TestDaemon::Options o;
  o.daemon_extra = "max-requests-per-uid = 1\n";
  TestDaemon d(o);
  d.store().set_sign_delay(std::chrono::milliseconds(1500));
  Client first(d.socket());
  Client second(d.socket());
  first.send_raw(raw_sign_request("first"));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  second.send_raw(raw_sign_request("second"));
  const auto a = first.read_response();
  const auto b = second.read_response();
  const auto& refused = a.result_int() == 429 ? a : b;
  const auto& served = a.result_int() == 429 ? b : a;
  EXPECT_EQ(refused.result_int(), 429u);
  EXPECT_EQ(error_code_of(refused), "too_many_requests");
  EXPECT_EQ(refused[http::field::retry_after], "1");
  EXPECT_EQ(served.result_int(), 200u);
  d.store().set_sign_delay(std::chrono::milliseconds(0));
  Client again(d.socket());  // the share is back once the answer is out
  EXPECT_EQ(again.post("/v1/keys/demo/sign", sign_body("again")).result_int(), 200u);
  bool audited = false;
  for (const auto& rec : d.audit_records()) {
    audited = audited ||
              (rec["op"] == "refuse" &&
               rec["result"].get<std::string>().find("max-requests-per-uid") != std::string::npos);
  }
  EXPECT_TRUE(audited);
}

TEST(ServerTransport, SocketFileHasTheConfiguredMode) {
  TestDaemon d;
  struct stat st {};
  ASSERT_EQ(stat(d.socket().c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0666u);
}

// socket-group gives the socket to the clients' group; root may name any group, anyone else one of
// its own groups (a group other than its primary one, when it has one).
TEST(ServerTransport, SocketFileHasTheConfiguredGroup) {
  gid_t group = 65534;
  if (geteuid() != 0) {
    std::vector<gid_t> mine(static_cast<std::size_t>(getgroups(0, nullptr)));
    mine.resize(static_cast<std::size_t>(getgroups(static_cast<int>(mine.size()), mine.data())));
    const auto other =
        std::find_if(mine.begin(), mine.end(), [](gid_t g) { return g != getegid(); });
    if (other == mine.end()) GTEST_SKIP() << "this user has no group besides its primary one";
    group = *other;
  }
  TestDaemon::Options options;
  options.daemon_extra = "socket-group = " + std::to_string(group) + "\n";
  TestDaemon d(options);
  struct stat st {};
  ASSERT_EQ(stat(d.socket().c_str(), &st), 0);
  EXPECT_EQ(st.st_gid, group);
}

TEST(ServerTransport, RefusesToStartOnALiveSocket) {
  TestDaemon first;
  ConfigResult loaded = load_config(first.config_path());
  ASSERT_TRUE(loaded.ok());
  auto store = std::make_unique<FakeKeyStore>();
  DaemonOptions options;
  options.handle_signals = false;
  options.socket_activation = false;
  Daemon second(loaded.config, std::move(store), options);
  try {
    second.run();
    FAIL() << "a second daemon started on a live socket";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("live socket"), std::string::npos) << e.what();
  }
  Client c(first.socket());
  EXPECT_EQ(c.get("/v1/keys").result_int(), 200u);
}

TEST(ServerTransport, MissingSocketDirectoryIsNamed) {
  TempDir dir;
  auto loaded = parse_config_text("[daemon]\nsocket = " + dir.file("no/such/dir/s.sock") +
                                  "\n[token]\nuri = pkcs11:token=t\npin-file = /dev/null\n");
  ASSERT_TRUE(loaded.ok());
  DaemonOptions options;
  options.handle_signals = false;
  options.socket_activation = false;
  Daemon daemon(loaded.config, std::make_unique<FakeKeyStore>(), options);
  try {
    daemon.run();
    FAIL() << "started without its socket";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("no/such/dir/s.sock"), std::string::npos) << e.what();
  }
}

TEST(ServerTransport, RemovesTheSocketFileOnExit) {
  std::string path;
  {
    TestDaemon d;
    path = d.socket();
    EXPECT_EQ(d.stop(), 0);
  }
  struct stat st {};
  EXPECT_NE(stat(path.c_str(), &st), 0);
}

}  // namespace
}  // namespace p11signd::daemon
