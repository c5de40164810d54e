// Bad input the other daemon tests do not already send (docs/reliability.md lists all of it): each
// gets a JSON error that names the problem, or a quiet close where no answer is owed, and the
// daemon goes on serving everyone else.
#include <sys/resource.h>

#include <gtest/gtest.h>

#include <thread>

#include "daemon/testing/test_support.h"

namespace p11signd::daemon {
namespace {

using namespace p11signd::daemon::testing;
using std::chrono::milliseconds;

// The daemon still signs for a well-behaved client.
void expect_unharmed(const TestDaemon& d) {
  Client good(d.socket());
  EXPECT_EQ(good.post("/v1/keys/demo/sign", sign_body("still fine")).result_int(), 200u);
}

std::string message_of(const Response& res) {
  auto j = nlohmann::json::parse(res.body(), nullptr, false);
  return j.is_discarded() ? "(not JSON: " + res.body() + ")" : j["error"]["message"].dump();
}

std::string post_request(const std::string& target, const std::string& body) {
  return "POST " + target +
         " HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
         body;
}

bool raise_fd_limit(rlim_t want) {
  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  if (lim.rlim_cur < want) {
    lim.rlim_cur = std::min<rlim_t>(want, lim.rlim_max);
    setrlimit(RLIMIT_NOFILE, &lim);
  }
  return lim.rlim_cur >= want;
}

long gauge(Client& c, const std::string& name) {
  const std::string m = c.get("/metrics").body();
  const auto at = m.find("\n" + name + " ");
  return at == std::string::npos ? -1 : std::stol(m.substr(at + name.size() + 2));
}

// Reads the gauge until it shows `want` or `within` has passed; returns the last reading. (A
// connection leaves the gauge a moment after its client sees it closed.)
long gauge_once_it_reads(Client& c, const std::string& name, long want,
                         std::chrono::milliseconds within) {
  const auto deadline = std::chrono::steady_clock::now() + within;
  long now = gauge(c, name);
  while (now != want && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(10));
    now = gauge(c, name);
  }
  return now;
}

TEST(BadInput, TruncatedRequestsAreDroppedOrRefusedQuietly) {
  TestDaemon d;
  for (const std::string& cut : {
           std::string("POST /v1/keys/demo/sign HTTP/1.1\r\nHost: x\r\nContent-Len"),
           std::string("POST /v1/keys/demo/sign HTTP/1.1\r\nContent-Length: 100\r\n\r\n{\"al"),
           std::string("POST /v1/keys/demo/sign HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                       "10\r\n{\"alg\":"),
           std::string("GET /v1/ke"),
       }) {
    Client bad(d.socket());
    bad.send_raw(cut);
    bad.finish_sending();
    try {
      const auto res = bad.read_response();
      EXPECT_EQ(res.result_int(), 400u) << cut;
      EXPECT_EQ(error_code_of(res), "bad_request") << cut;
    } catch (const boost::system::system_error&) {
      // Closed without an answer: nothing complete was asked.
    }
    EXPECT_TRUE(bad.closed_by_peer()) << cut;
  }
  expect_unharmed(d);
}

TEST(BadInput, HugeHeadersAre431) {
  TestDaemon d;
  std::string many;
  for (int i = 0; i < 2000; ++i) many += "X-Filler-" + std::to_string(i) + ": y\r\n";
  for (const std::string& headers : {"X-Big: " + std::string(20000, 'a') + "\r\n", many,
                                     "Cookie: " + std::string(1 << 20, 'c') + "\r\n"}) {
    Client bad(d.socket());
    try {
      bad.send_raw("GET /v1/keys HTTP/1.1\r\nHost: x\r\n" + headers + "\r\n");
    } catch (const boost::system::system_error&) {
      // The daemon answered and closed before taking the whole megabyte.
    }
    const auto res = bad.read_response();
    EXPECT_EQ(res.result_int(), 431u);
    EXPECT_EQ(error_code_of(res), "headers_too_large");
    EXPECT_NE(message_of(res).find("16 KiB"), std::string::npos) << message_of(res);
  }
  expect_unharmed(d);
}

TEST(BadInput, DeeplyNestedJsonIsRefusedBeforeParsing) {
  TestDaemon::Options o;
  o.daemon_extra = "max-request-bytes = 1048576\n";
  TestDaemon d(o);
  Client c(d.socket());
  const std::string deep_array = std::string(200000, '[') + std::string(200000, ']');
  std::string deep_object = "{\"data\":";
  for (int i = 0; i < 50000; ++i) deep_object += "{\"a\":";
  deep_object += "1" + std::string(50001, '}');
  for (const auto& [target, body] : std::vector<std::pair<std::string, std::string>>{
           {"/v1/keys/demo/sign", deep_array},
           {"/v1/keys/demo/sign", deep_object},
           {"/v1/schemes/jws/sign", R"({"key":"restricted","payload":)" + deep_array + "}"},
           {"/v1/keys/demo/verify", deep_object},
       }) {
    const auto res = c.post(target, body);
    EXPECT_EQ(res.result_int(), 400u) << target;
    EXPECT_EQ(error_code_of(res), "invalid_json");
    EXPECT_NE(message_of(res).find("deeper than 64 levels"), std::string::npos) << message_of(res);
  }
  // Brackets inside strings are text, not nesting.
  const auto res = c.post("/v1/keys/demo/sign", R"({"data":")" + std::string(1000, '[') + "\"}");
  EXPECT_EQ(res.result_int(), 422u) << res.body();
  EXPECT_NE(message_of(res).find("data"), std::string::npos);
  expect_unharmed(d);
}

TEST(BadInput, InvalidUtf8) {
  TestDaemon d;
  Client c(d.socket());
  for (const std::string& body : {std::string("{\"alg\":\"RSA-SHA256\",\"data\":\"\xff\xfe\"}"),
                                  std::string("{\"alg\":\"RSA-\xc0\xaf\",\"data\":\"AA==\"}"),
                                  std::string("{\"\xed\xa0\x80\":1,\"data\":\"AA==\"}"),
                                  std::string("{\"data\":\"AA==\",\"alg\":\"\\udc00\"}")}) {
    const auto res = c.post("/v1/keys/demo/sign", body);
    EXPECT_EQ(res.result_int(), 400u) << res.body();
    EXPECT_EQ(error_code_of(res), "invalid_json");
  }
  // Bytes from the query are quoted in the message: still valid JSON (each invalid byte as the text
  // \xNN, common/utf8.h). (Key and scheme names with such bytes never match a route: 404 before
  // any message quotes them.)
  Client query(d.socket());
  query.send_raw("GET /v1/keys/demo/public-key?format=\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n");
  const auto res = query.read_response();
  EXPECT_EQ(res.result_int(), 400u) << res.body();
  EXPECT_NE(message_of(res).find(R"(\\xff\\xfe)"), std::string::npos) << res.body();
  Client raw(d.socket());
  raw.send_raw(post_request("/v1/keys/\xff\xfe/sign", sign_body("x")));
  EXPECT_EQ(error_code_of(raw.read_response()), "not_found");
  expect_unharmed(d);
}

TEST(BadInput, WrongTypesNameTheField) {
  TestDaemon d;
  Client c(d.socket());
  using Case = std::tuple<std::string, std::string, std::string, unsigned>;
  for (const auto& [target, body, field, status] : std::vector<Case>{
           {"/v1/keys/demo/sign", R"({"alg":5,"data":"AA=="})", "alg", 400},
           {"/v1/keys/demo/sign", R"({"data":["AA=="]})", "data", 400},
           {"/v1/keys/demo/sign", R"({"data":null})", "data", 400},
           {"/v1/keys/demo/sign", R"({"alg":"RSA-PSS-SHA256","salt_len":"32","data":"AA=="})",
            "salt_len", 422},
           {"/v1/keys/demo/verify", R"({"data":"AA==","signature":{}})", "signature", 400},
           {"/v1/schemes/raw/sign", R"({"key":7,"data":"AA=="})", "key", 400},
           {"/v1/keys", R"({"name":"k","bits":"2048"})", "bits", 400},
       }) {
    const auto res = c.post(target, body);
    EXPECT_EQ(res.result_int(), status) << body << " -> " << res.body();
    EXPECT_NE(message_of(res).find(field), std::string::npos) << body << " -> " << res.body();
  }
  expect_unharmed(d);
}

TEST(BadInput, PathTricksNeverReachAnotherKey) {
  TestDaemon d;
  Client c(d.socket());
  for (const std::string target : {
           "/v1/keys/../keys/restricted/sign",
           "/v1/keys/demo/../restricted/sign",
           "/v1/keys/..%2Frestricted/sign",
           "/v1/keys/demo%2F..%2Frestricted/sign",
           "/v1/keys/%2e%2e/sign",
           "/v1/keys/%64emo/sign",
           "/v1/keys//sign",
           "/v1/keys/demo/sign/..",
           "//v1/keys/demo/sign",
           "/v1/keys/demo%00/sign",
           "/v1/keys/./demo/sign",
       }) {
    const auto res = c.post(target, sign_body("x"));
    EXPECT_EQ(res.result_int(), 404u) << target << " -> " << res.body();
    const std::string code = error_code_of(res);
    EXPECT_TRUE(code == "key_not_found" || code == "not_found") << target << " -> " << code;
  }
  expect_unharmed(d);
}

TEST(BadInput, Base64WithGarbageIs422NamingData) {
  TestDaemon d;
  Client c(d.socket());
  for (const std::string data : {"AA==AA", "A", "AA=", "A===", "AA AA", "AA\\nAA", "-_-_",
                                 "AA==\\u0000", "%41%41", "AAAA!"}) {
    const auto res = c.post("/v1/keys/demo/sign", R"({"data":")" + data + "\"}");
    EXPECT_EQ(res.result_int(), 422u) << data << " -> " << res.body();
    EXPECT_EQ(error_code_of(res), "invalid_request") << data;
    EXPECT_NE(message_of(res).find("data"), std::string::npos) << data << " -> " << res.body();
  }
  const auto sig = c.post("/v1/keys/demo/verify", R"({"data":"AA==","signature":"not*base64"})");
  EXPECT_EQ(sig.result_int(), 422u) << sig.body();
  expect_unharmed(d);
}

// An object of the most members a body may hold is signed; one more member is refused before
// anything is parsed (an ordered object's parse is quadratic in its members).
TEST(BadInput, MyposFieldsUpToTheMemberLimit) {
  TestDaemon::Options o;
  o.daemon_extra = "max-request-bytes = 1048576\n";
  o.sections += "[key.shop]\nlabel = second\nallow-uids = " + std::to_string(::getuid()) +
                "\nschemes = mypos\nmypos.sid = 000000000000010\nmypos.wallet-number = 61938166610"
                "\nmypos.key-index = 1\n";
  TestDaemon d(o);
  Client c(d.socket());
  nlohmann::ordered_json fields = {{"IPCmethod", "IPCPurchase"}, {"IPCVersion", "1.4"}};
  for (std::size_t i = 2; i < kMaxJsonMembers; ++i) {
    fields["f" + std::to_string(i)] = "v" + std::to_string(i);
  }
  const auto start = std::chrono::steady_clock::now();
  auto res = c.post("/v1/schemes/mypos/sign",
                    nlohmann::ordered_json{{"key", "shop"}, {"fields", fields}}.dump());
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(res.result_int(), 200u) << res.body().substr(0, 300);
  EXPECT_EQ(body_json(res)["fields"].size(), kMaxJsonMembers + 3 + 1);  // + settings + Signature
  std::cout << "FIGURES mypos-" << kMaxJsonMembers
            << "-fields: ms=" << std::chrono::duration_cast<milliseconds>(took).count()
            << std::endl;

  fields["one-more"] = "x";
  res = c.post("/v1/schemes/mypos/sign",
               nlohmann::ordered_json{{"key", "shop"}, {"fields", fields}}.dump());
  EXPECT_EQ(res.result_int(), 400u);
  EXPECT_EQ(error_code_of(res), "too_many_members");
  EXPECT_NE(message_of(res).find("more than 1024 members"), std::string::npos) << message_of(res);

  fields.erase("one-more");
  fields["f1023"] = nlohmann::ordered_json::array();
  res = c.post("/v1/schemes/mypos/sign",
               nlohmann::ordered_json{{"key", "shop"}, {"fields", fields}}.dump());
  EXPECT_EQ(res.result_int(), 400u);
  EXPECT_NE(message_of(res).find("fields.f1023"), std::string::npos) << message_of(res);
  expect_unharmed(d);
}

TEST(BadInput, ThousandIdleConnectionsThenTheyAreClosed) {
  if (!raise_fd_limit(4096)) GTEST_SKIP() << "RLIMIT_NOFILE too low for 1,000 connections";
  // Long enough that connecting 1,000 clients and signing once (well under a second, even under
  // ASan) finish before the first idler's deadline.
  constexpr milliseconds kIdle(5000);
  TestDaemon::Options o;
  o.daemon_extra =
      "idle-timeout-ms = " + std::to_string(kIdle.count()) +
      "\nmax-connections = 1100\nmax-connections-per-uid = 1100\n";  // all are this test's uid
  TestDaemon d(o);
  const auto first_connect = std::chrono::steady_clock::now();
  std::vector<std::unique_ptr<Client>> idle;
  for (int i = 0; i < 1000; ++i) idle.push_back(std::make_unique<Client>(d.socket()));
  Client c(d.socket());
  EXPECT_EQ(c.post("/v1/keys/demo/sign", sign_body("among idlers")).result_int(), 200u);
  // Accepted in order, so all 1,000 idlers were accepted before c was answered.
  const long open = gauge(c, "p11signd_connections");
  const auto counted_after = std::chrono::steady_clock::now() - first_connect;
  if (counted_after < kIdle) {
    // No idler can have been closed yet: each was accepted after first_connect.
    EXPECT_EQ(open, 1001);
  } else {
    ADD_FAILURE() << "connecting 1,000 clients and signing took "
                  << std::chrono::duration_cast<milliseconds>(counted_after).count()
                  << " ms, past idle-timeout-ms: raise kIdle";
  }
  int closed = 0;
  for (auto& i : idle) closed += i->closed_by_peer();  // each blocks until the daemon closes it
  EXPECT_EQ(closed, 1000);
  // Closed by their idle deadline, not before it.
  EXPECT_GE(std::chrono::steady_clock::now() - first_connect, kIdle);
  Client after(d.socket());
  EXPECT_EQ(gauge_once_it_reads(after, "p11signd_connections", 1, std::chrono::seconds(10)), 1);
}

TEST(BadInput, ClientThatNeverReadsItsAnswersIsCutOff) {
  TestDaemon::Options o;
  o.daemon_extra = "read-timeout-ms = 300\n";
  TestDaemon d(o);
  Client stuck(d.socket());
  std::string pipelined;
  for (int i = 0; i < 3000; ++i) {
    pipelined += "GET /v1/keys/demo/public-key?format=pem HTTP/1.1\r\nHost: x\r\n\r\n";
  }
  // The daemon stops reading once its answers fill the socket: the sender may block until cut off.
  std::thread sender([&] {
    try {
      stuck.send_raw(pipelined);
    } catch (const boost::system::system_error&) {
    }
  });
  Client good(d.socket());
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(good.post("/v1/keys/demo/sign", sign_body("meanwhile")).result_int(), 200u);
  }
  // Up to ~186 KB of requests fit in the socket buffers, so the sender may finish before the
  // daemon cuts the client off: wait for the cut-off itself (300 ms after the answers stall).
  sender.join();
  EXPECT_EQ(gauge_once_it_reads(good, "p11signd_connections", 1, std::chrono::seconds(10)), 1)
      << "the silent reader is still connected";
  int answers = 0;
  try {
    for (;;) {
      stuck.read_response();
      ++answers;
    }
  } catch (const boost::system::system_error&) {
  }
  EXPECT_LT(answers, 3000) << "every answer was delivered: the client was never cut off";
}

}  // namespace
}  // namespace p11signd::daemon
