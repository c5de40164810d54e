// Every route of the daemon over a real Unix socket, against the fake keystore; signatures checked
// with OpenSSL against the fake token's public keys.
#include <gtest/gtest.h>

#include <thread>

#include <fstream>

#include "common/encoding.h"
#include "daemon/routes/public_key.h"
#include "daemon/testing/test_support.h"

namespace p11signd::daemon {
namespace {

using namespace p11signd::daemon::testing;

Bytes b64(const std::string& s) { return base64_decode(s).value(); }

TEST(ServerRoutes, HealthMakesATestSignature) {
  TestDaemon d;
  Client c(d.socket());
  auto res = c.get("/v1/health");
  ASSERT_EQ(res.result_int(), 200u) << res.body();
  auto j = body_json(res);
  EXPECT_EQ(j["status"], "ok");
  EXPECT_EQ(j["token"]["label"], "fake-token");
  EXPECT_EQ(j["test_signature"]["key"], "demo");
  EXPECT_EQ(d.store().sign_count(), 1u);
}

TEST(ServerRoutes, HealthSignsAtMostOnceASecondForManyCallers) {
  TestDaemon d;
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 5; ++i) clients.push_back(std::make_unique<Client>(d.socket()));
  // All five are sent before any answer is read: they share one check.
  for (auto& c : clients) c->send_raw("GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n");
  for (auto& c : clients) EXPECT_EQ(c->read_response().result_int(), 200u);
  EXPECT_EQ(d.store().sign_count(), 1u);
}

TEST(ServerRoutes, HealthIs503WithTheReasonWhenTheTokenIsDown) {
  TestDaemon d;
  d.store().set_down(true, "device removed");
  Client c(d.socket());
  auto res = c.get("/v1/health");
  EXPECT_EQ(res.result_int(), 503u);
  EXPECT_EQ(error_code_of(res), "token_unavailable");
  EXPECT_NE(res.body().find("device removed"), std::string::npos);
  EXPECT_EQ(res[http::field::retry_after], "1");
}

// A check that throws before it reaches the token answers every waiter, and the next check starts
// afresh instead of waiting behind an answer that never comes.
TEST(ServerRoutes, HealthCheckThatThrowsLeavesNoWaiterBehind) {
  TestDaemon d;
  d.store().set_status_fails(true);
  Client c(d.socket());
  EXPECT_EQ(c.get("/v1/health").result_int(), 500u);
  d.store().set_status_fails(false);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // past the one-second cache
  EXPECT_EQ(c.get("/v1/health").result_int(), 200u);
}

TEST(ServerRoutes, ListsTheKeysThePeerMayUse) {
  TestDaemon d;
  Client c(d.socket());
  auto res = c.get("/v1/keys");
  ASSERT_EQ(res.result_int(), 200u);
  auto keys = body_json(res)["keys"];
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0]["name"], "demo");
  EXPECT_EQ(keys[0]["bits"], 2048);
  EXPECT_EQ(keys[0]["schemes"], nlohmann::json::array({"raw"}));
  EXPECT_EQ(keys[0]["fingerprint_sha256"].get<std::string>().size(), 64u);
}

TEST(ServerRoutes, PublicKeyInEveryFormat) {
  TestDaemon d;
  Client c(d.socket());
  auto pem = c.get("/v1/keys/demo/public-key");
  ASSERT_EQ(pem.result_int(), 200u);
  EXPECT_EQ(pem[http::field::content_type], "application/x-pem-file");
  EXPECT_EQ(pem.body().rfind("-----BEGIN PUBLIC KEY-----", 0), 0u);
  auto der = c.get("/v1/keys/demo/public-key?format=der-base64");
  ASSERT_EQ(der.result_int(), 200u);
  EXPECT_EQ(b64(body_json(der)["public_key"]), spki_der(shared_key(0).get()));
  auto jwk = c.get("/v1/keys/demo/public-key?format=jwk");
  ASSERT_EQ(jwk.result_int(), 200u);
  EXPECT_EQ(body_json(jwk)["kty"], "RSA");
  EXPECT_EQ(body_json(jwk)["e"], "AQAB");
  EXPECT_EQ(c.get("/v1/keys/demo/public-key?format=xml").result_int(), 400u);
  EXPECT_EQ(c.get("/v1/keys/nope/public-key").result_int(), 404u);
}

TEST(ServerRoutes, SignsAndTheSignatureVerifiesWithOpenSsl) {
  TestDaemon d;
  Client c(d.socket());
  const Bytes spki = spki_der(shared_key(0).get());
  for (const char* alg : {"RSA-SHA256", "RSA-PSS-SHA256"}) {
    auto res = c.post("/v1/keys/demo/sign", sign_body("hello provider", alg));
    ASSERT_EQ(res.result_int(), 200u) << res.body();
    auto j = body_json(res);
    EXPECT_EQ(j["key"], "demo");
    EXPECT_EQ(j["alg"], alg);
    SignRequest req;
    req.alg = *parse_sign_alg(alg);
    EXPECT_TRUE(verify_signature(spki, req, as_bytes("hello provider"), b64(j["signature"])));
  }
}

TEST(ServerRoutes, SignsEmptyData) {
  TestDaemon d;
  Client c(d.socket());
  EXPECT_EQ(c.post("/v1/keys/demo/sign", sign_body("")).result_int(), 200u);
}

TEST(ServerRoutes, VerifyAnswersTrueAndFalse) {
  TestDaemon d;
  Client c(d.socket());
  auto sig = body_json(c.post("/v1/keys/demo/sign", sign_body("abc")))["signature"];
  nlohmann::json body{
      {"alg", "RSA-SHA256"}, {"data", base64_encode(as_bytes("abc"))}, {"signature", sig}};
  auto ok = c.post("/v1/keys/demo/verify", body.dump());
  ASSERT_EQ(ok.result_int(), 200u) << ok.body();
  EXPECT_EQ(body_json(ok)["valid"], true);
  body["data"] = base64_encode(as_bytes("abd"));
  EXPECT_EQ(body_json(c.post("/v1/keys/demo/verify", body.dump()))["valid"], false);
}

TEST(ServerRoutes, RawSchemeRouteTakesTheKeyFromTheBody) {
  TestDaemon d;
  Client c(d.socket());
  auto body = nlohmann::json::parse(sign_body("x"));
  body["key"] = "demo";
  auto res = c.post("/v1/schemes/raw/sign", body.dump());
  EXPECT_EQ(res.result_int(), 200u) << res.body();
}

TEST(ServerRoutes, ListsSchemes) {
  TestDaemon d;
  Client c(d.socket());
  auto res = c.get("/v1/schemes");
  ASSERT_EQ(res.result_int(), 200u);
  bool raw = false;
  const auto schemes = body_json(res)["schemes"];
  for (const auto& s : schemes) raw = raw || s["name"] == "raw";
  EXPECT_TRUE(raw) << res.body();
  EXPECT_EQ(c.post("/v1/schemes/nope/sign", "{}").result_int(), 404u);
}

TEST(ServerRoutes, MalformedRequestsAre400And422) {
  TestDaemon d;
  Client c(d.socket());
  struct Case {
    std::string body;
    unsigned status;
    std::string code;
  };
  for (const auto& t : std::vector<Case>{
           {"not json", 400, "invalid_json"},
           {"[1,2]", 400, "invalid_json"},
           {"{}", 400, "missing_field"},
           {R"({"data":5})", 400, "bad_field"},
           {R"({"alg":"MD5","data":"AA=="})", 422, "invalid_request"},
           {R"({"data":"not base64!"})", 422, "invalid_request"},
           {R"({"alg":"RSA-PSS-SHA256","salt_len":7,"data":"AA=="})", 422, "invalid_request"},
       }) {
    auto res = c.post("/v1/keys/demo/sign", t.body);
    EXPECT_EQ(res.result_int(), t.status) << t.body << " -> " << res.body();
    EXPECT_EQ(error_code_of(res), t.code) << t.body;
    EXPECT_EQ(res[http::field::content_type], "application/json");
  }
}

TEST(ServerRoutes, UnknownThingsAre404And405) {
  TestDaemon d;
  Client c(d.socket());
  EXPECT_EQ(error_code_of(c.post("/v1/keys/nope/sign", sign_body("x"))), "key_not_found");
  EXPECT_EQ(c.get("/v2/nothing").result_int(), 404u);
  auto res = c.request(http::verb::delete_, "/v1/keys/demo/sign");
  EXPECT_EQ(res.result_int(), 405u);
  EXPECT_EQ(res[http::field::allow], "POST");
  EXPECT_EQ(error_code_of(res), "method_not_allowed");
}

TEST(ServerRoutes, SchemeNotAllowedForTheKeyIs403NamingTheRule) {
  TestDaemon d;
  Client c(d.socket());
  auto res = c.post("/v1/keys/restricted/sign", sign_body("x"));
  EXPECT_EQ(res.result_int(), 403u);
  EXPECT_NE(res.body().find("restricted"), std::string::npos);
  EXPECT_NE(res.body().find("schemes = jws"), std::string::npos);
}

TEST(ServerRoutes, TokenDownIs503WithRetryAfter) {
  TestDaemon d;
  d.store().set_down(true, "unplugged");
  Client c(d.socket());
  auto res = c.post("/v1/keys/demo/sign", sign_body("x"));
  EXPECT_EQ(res.result_int(), 503u);
  EXPECT_EQ(error_code_of(res), "token_unavailable");
  EXPECT_EQ(res[http::field::retry_after], "1");
  d.store().set_down(false);
  EXPECT_EQ(c.post("/v1/keys/demo/sign", sign_body("x")).result_int(), 200u);
}

TEST(ServerRoutes, SlowTokenIs504) {
  TestDaemon::Options o;
  o.daemon_extra = "request-timeout-ms = 100\n";
  TestDaemon d(o);
  d.store().set_sign_delay(std::chrono::milliseconds(600));
  Client c(d.socket());
  auto res = c.post("/v1/keys/demo/sign", sign_body("x"));
  EXPECT_EQ(res.result_int(), 504u);
  EXPECT_EQ(error_code_of(res), "token_timeout");
  // The token still made the signature; the audit must not call it released.
  d.stop();  // joins the worker, which writes the line when the token's call ends
  const auto records = d.audit_records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["result"].get<std::string>().rfind("error: signature withheld", 0), 0u)
      << records[0];
  EXPECT_GE(records[0]["latency_us"].get<long>(), 600'000);
}

// One worker, a queue of one: four sign requests sent at once while each signature takes 300 ms.
TestDaemon::Options queue_of_one() {
  TestDaemon::Options o;
  o.daemon_extra = "queue-limit = 1\n";
  o.max_sessions = 1;  // one worker
  return o;
}

// Sends the four requests before reading any answer; returns the answers in the order sent.
std::vector<Response> overfill_queue(TestDaemon& d) {
  d.store().set_sign_delay(std::chrono::milliseconds(300));
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 4; ++i) clients.push_back(std::make_unique<Client>(d.socket()));
  const std::string req = "POST /v1/keys/demo/sign HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                          std::to_string(sign_body("x").size()) + "\r\n\r\n" + sign_body("x");
  for (auto& c : clients) c->send_raw(req);
  std::vector<Response> answers;
  for (auto& c : clients) answers.push_back(c->read_response());
  return answers;
}

TEST(ServerRoutes, FullQueueIs503WithRetryAfter) {
  TestDaemon d(queue_of_one());
  int full = 0;
  int ok = 0;
  for (const auto& res : overfill_queue(d)) {
    if (res.result_int() == 200) ++ok;
    if (res.result_int() == 503) {
      ++full;
      EXPECT_EQ(error_code_of(res), "queue_full");
      EXPECT_EQ(res[http::field::retry_after], "1");
    }
  }
  EXPECT_GE(full, 1);
  EXPECT_GE(ok, 1);
  EXPECT_EQ(full + ok, 4);
}

// A request refused before it reaches the token is audited too (as an error naming why).
TEST(ServerRoutes, SignRequestsThatNeverReachTheTokenAreAudited) {
  TestDaemon d(queue_of_one());
  int full = 0;
  for (const auto& res : overfill_queue(d)) full += res.result_int() == 503;
  ASSERT_GE(full, 1);
  std::ifstream in(d.audit_path());
  int audited = 0, signed_ok = 0;
  for (std::string line; std::getline(in, line);) {
    audited += line.find("\"result\":\"error: all workers are busy") != std::string::npos &&
               line.find("\"key\":\"demo\"") != std::string::npos;
    signed_ok += line.find("\"result\":\"ok\"") != std::string::npos;
  }
  EXPECT_EQ(audited, full);
  EXPECT_EQ(signed_ok, 4 - full);
}

TEST(ServerRoutes, MetricsInPrometheusText) {
  TestDaemon d;
  Client c(d.socket());
  c.post("/v1/keys/demo/sign", sign_body("x"));
  c.post("/v1/keys/restricted/sign", sign_body("x"));
  auto res = c.get("/metrics");
  ASSERT_EQ(res.result_int(), 200u);
  const std::string& m = res.body();
  EXPECT_NE(m.find("p11signd_requests_total{route=\"/v1/keys/{key}/sign\",status=\"200\"} 1"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("p11signd_sign_seconds_count{key=\"demo\",alg=\"RSA-SHA256\"} 1"),
            std::string::npos);
  EXPECT_NE(m.find("p11signd_denials_total{rule=\"key\"} 1"), std::string::npos);
  EXPECT_NE(m.find("p11signd_token_up{state=\"ready\"} 1"), std::string::npos);
  EXPECT_NE(m.find("p11signd_queue_depth 0"), std::string::npos);
}

}  // namespace
}  // namespace p11signd::daemon
