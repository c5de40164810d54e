// Scheme routes through the registry (schemes/), with the daemon's access rules and audit around
// them.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>

#include "daemon/routes/public_key.h"
#include "daemon/testing/test_support.h"

namespace p11signd::daemon {
namespace {

using namespace p11signd::daemon::testing;

// The harness's "restricted" key allows only the jws scheme.
TEST(ServerSchemes, JwsSignAndVerifyWithTheKey) {
  TestDaemon d;
  Client c(d.socket());
  auto res = c.post("/v1/schemes/jws/sign",
                    R"({"key":"restricted","alg":"RS256","payload":{"amount":"10.00"}})");
  ASSERT_EQ(res.result_int(), 200u) << res.body();
  const std::string jws = body_json(res)["jws"];
  EXPECT_EQ(std::count(jws.begin(), jws.end(), '.'), 2);
  nlohmann::json verify{{"key", "restricted"}, {"jws", jws}};
  auto ok = c.post("/v1/schemes/jws/verify", verify.dump());
  ASSERT_EQ(ok.result_int(), 200u) << ok.body();
  EXPECT_EQ(body_json(ok)["valid"], true);
}

TEST(ServerSchemes, SchemeInputErrorsAre400Or422) {
  TestDaemon d;
  Client c(d.socket());
  auto res = c.post("/v1/schemes/jws/sign", R"({"key":"restricted"})");
  EXPECT_EQ(res.result_int(), 400u) << res.body();
  // The field is named once, at the start of the message.
  EXPECT_EQ(body_json(res)["error"]["message"],
            "payload: give exactly one of payload and payload_b64")
      << res.body();
  res =
      c.post("/v1/schemes/jws/sign", R"({"key":"restricted","payload":{},"header":{"b64":false}})");
  EXPECT_EQ(res.result_int(), 422u) << res.body();
  EXPECT_EQ(c.post("/v1/schemes/jws/sign", R"({"payload":{}})").result_int(), 400u);
}

TEST(ServerSchemes, KeyMustAllowTheScheme) {
  TestDaemon d;
  Client c(d.socket());
  auto res = c.post("/v1/schemes/jws/sign", R"({"key":"demo","payload":{}})");
  EXPECT_EQ(res.result_int(), 403u);
  EXPECT_NE(res.body().find("scheme 'jws'"), std::string::npos) << res.body();
  EXPECT_EQ(c.post("/v1/schemes/jws/sign", R"({"key":"nope","payload":{}})").result_int(), 404u);
  EXPECT_EQ(c.post("/v1/schemes/jws/frobnicate", R"({"key":"restricted"})").result_int(), 404u);
}

// The harness's configuration plus one [peer.NAME] section per (name, scheme), each holding key's
// public key.
TestDaemon::Options with_peers(const TempDir& dir, EVP_PKEY* key,
                               const std::vector<std::pair<std::string, std::string>>& peers) {
  const std::string pem = dir.file("peer.pem");
  std::ofstream(pem) << spki_pem(spki_der(key));
  TestDaemon::Options o;
  for (const auto& [name, scheme] : peers) {
    o.sections += "[peer." + name + "]\nscheme = " + scheme + "\npublic-key = " + pem + "\n";
  }
  return o;
}

TEST(ServerSchemes, VerifiesWithAConfiguredPeer) {
  TempDir dir;
  TestDaemon d(with_peers(dir, shared_key(1).get(), {{"partner", "jws"}, {"other", "mypos"}}));
  Client c(d.socket());
  auto signed_res = c.post("/v1/schemes/jws/sign", R"({"key":"restricted","payload":{"x":1}})");
  ASSERT_EQ(signed_res.result_int(), 200u);
  nlohmann::json verify{{"peer", "partner"}, {"jws", body_json(signed_res)["jws"]}};
  auto res = c.post("/v1/schemes/jws/verify", verify.dump());
  ASSERT_EQ(res.result_int(), 200u) << res.body();
  EXPECT_EQ(body_json(res)["valid"], true);
  verify["peer"] = "other";  // a peer of another scheme
  EXPECT_EQ(c.post("/v1/schemes/jws/verify", verify.dump()).result_int(), 422u);
}

// A reload reads the peer files before it waits for the token, and applies what it read: a file
// removed meanwhile (an administrator replacing a certificate) is not read again on the event loop,
// where failing would have ended the daemon.
TEST(ServerSchemes, AReloadAppliesThePeersItReadBeforeWaitingForTheToken) {
  TempDir dir;
  const TestDaemon::Options o = with_peers(dir, shared_key(0).get(), {{"partner", "raw"}});
  TestDaemon d(o);
  std::promise<void> release;
  std::promise<void> entered;
  d.store().hold_set_keys(release.get_future().share(), &entered);
  d.write_config(o.sections + "[peer.second]\nscheme = raw\npublic-key = " + dir.file("peer.pem") +
                 "\n");
  auto outcome = std::async(std::launch::async, [&d] { return d.daemon().reload_now(); });
  entered.get_future().wait();
  std::filesystem::remove(dir.file("peer.pem"));
  release.set_value();
  EXPECT_TRUE(outcome.get().empty());
  Client c(d.socket());
  auto signed_res = c.post("/v1/keys/demo/sign", sign_body("hello"));
  ASSERT_EQ(signed_res.result_int(), 200u) << signed_res.body();
  for (const char* peer : {"partner", "second"}) {
    const nlohmann::json verify{
        {"peer", peer}, {"data", "aGVsbG8="}, {"signature", body_json(signed_res)["signature"]}};
    auto res = c.post("/v1/schemes/raw/verify", verify.dump());
    ASSERT_EQ(res.result_int(), 200u) << peer << ": " << res.body();
    EXPECT_EQ(body_json(res)["valid"], true) << peer;
  }
}

// raw with a [peer.NAME] goes through the registry as the other schemes do: reason and audit
// included. The harness's "demo" key is shared_key(0), so its public key is the peer's here.
TEST(ServerSchemes, RawVerifiesWithAConfiguredPeer) {
  TempDir dir;
  TestDaemon d(with_peers(dir, shared_key(0).get(), {{"partner", "raw"}, {"other", "jws"}}));
  Client c(d.socket());
  for (const char* alg : {"RSA-SHA256", "RSA-PSS-SHA256"}) {
    auto signed_res = c.post("/v1/keys/demo/sign", sign_body("hello", alg));
    ASSERT_EQ(signed_res.result_int(), 200u) << signed_res.body();
    nlohmann::json verify{{"peer", "partner"},
                          {"alg", alg},
                          {"data", "aGVsbG8="},
                          {"signature", body_json(signed_res)["signature"]}};
    auto res = c.post("/v1/schemes/raw/verify", verify.dump());
    ASSERT_EQ(res.result_int(), 200u) << res.body();
    EXPECT_EQ(body_json(res), (nlohmann::json{{"valid", true}, {"reason", "signature matches"}}));
    verify["data"] = "aGVsbG9v";
    res = c.post("/v1/schemes/raw/verify", verify.dump());
    ASSERT_EQ(res.result_int(), 200u) << res.body();
    EXPECT_EQ(body_json(res)["valid"], false) << res.body();
    EXPECT_EQ(body_json(res)["reason"], "signature does not match the data and key");
  }
  // "key" still verifies with one of our keys, now with the reason and the version that matched.
  auto signed_res = c.post("/v1/keys/demo/sign", sign_body("hello"));
  nlohmann::json with_key{
      {"key", "demo"}, {"data", "aGVsbG8="}, {"signature", body_json(signed_res)["signature"]}};
  auto res = c.post("/v1/schemes/raw/verify", with_key.dump());
  ASSERT_EQ(res.result_int(), 200u) << res.body();
  EXPECT_EQ(body_json(res),
            (nlohmann::json{{"valid", true}, {"reason", "signature matches"}, {"key_version", 1}}));

  nlohmann::json other{{"peer", "other"}, {"data", "aGVsbG8="}, {"signature", "AA=="}};
  res = c.post("/v1/schemes/raw/verify", other.dump());
  EXPECT_EQ(res.result_int(), 422u) << res.body();
  EXPECT_EQ(body_json(res)["error"]["message"], "peer 'other' is for scheme 'jws'");
  other["peer"] = "nobody";
  EXPECT_EQ(error_code_of(c.post("/v1/schemes/raw/verify", other.dump())), "peer_not_found");

  d.stop();
  const auto records = d.audit_records();
  const auto peer_verifies = std::count_if(records.begin(), records.end(), [](const auto& r) {
    return r["op"] == "verify" && r["scheme"] == "raw" && r["key"] == "peer:partner";
  });
  EXPECT_EQ(peer_verifies, 4);
}

TEST(ServerSchemes, VerifyNeedsExactlyOneOfPeerAndKey) {
  TestDaemon d;
  Client c(d.socket());
  for (const char* scheme : {"raw", "jws"}) {
    const std::string path = "/v1/schemes/" + std::string(scheme) + "/verify";
    auto res = c.post(path, R"({"data":"aGVsbG8=","signature":"AA==","jws":"a.b.c"})");
    EXPECT_EQ(res.result_int(), 400u) << res.body();
    EXPECT_EQ(error_code_of(res), "missing_field");
    EXPECT_EQ(body_json(res)["error"]["message"],
              "verify needs 'peer' (a [peer.NAME] section of scheme '" + std::string(scheme) +
                  "') or 'key' (one of the daemon's keys)");
    res = c.post(path, R"({"peer":"p","key":"demo","data":"aGVsbG8=","signature":"AA=="})");
    EXPECT_EQ(res.result_int(), 400u) << res.body();
    EXPECT_EQ(error_code_of(res), "bad_field");
    EXPECT_EQ(body_json(res)["error"]["message"],
              "give either 'peer' (a [peer.NAME] section of scheme '" + std::string(scheme) +
                  "') or 'key' (one of the daemon's keys), not both");
  }
}

// A misspelled scheme setting stops a start and refuses a reload, as --check-config reports it.
TEST(ServerSchemes, MisspelledSchemeSettingIsRefusedAtStartAndReload) {
  // After "PATH:LINE: ", the file's name and the setting's line.
  const std::string line =
      ": [key.restricted] swifood.appid: not a setting of scheme swifood; did you mean "
      "'swifood.app-id'? (its settings: swifood.app-id, swifood.store-key)";
  TestDaemon::Options o;
  o.sections += "swifood.appid = 1\n";  // in [key.restricted], the last section
  try {
    TestDaemon refused(o);
    ADD_FAILURE() << "the daemon started";
  } catch (const std::runtime_error& e) {
    EXPECT_TRUE(std::string_view(e.what()).starts_with("test keys: /")) << e.what();
    EXPECT_TRUE(std::string_view(e.what()).ends_with(line)) << e.what();
  }
  TestDaemon d;
  d.write_config(o.sections);
  const auto problems = d.daemon().reload_now();
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_TRUE(std::string_view(problems.front()).ends_with(line)) << problems.front();
}

TEST(ServerSchemes, UnknownPeerIs404) {
  TestDaemon d;
  Client c(d.socket());
  auto res = c.post("/v1/schemes/jws/verify", R"({"peer":"nobody","jws":"a.b.c"})");
  EXPECT_EQ(res.result_int(), 404u);
  EXPECT_EQ(error_code_of(res), "peer_not_found");
}

TEST(ServerSchemes, SchemeSignaturesAreAudited) {
  TestDaemon d;
  Client c(d.socket());
  ASSERT_EQ(
      c.post("/v1/schemes/jws/sign", R"({"key":"restricted","payload":{"a":1}})").result_int(),
      200u);
  d.stop();
  std::ifstream in(d.audit_path());
  std::string line;
  std::getline(in, line);
  auto rec = nlohmann::json::parse(line);
  EXPECT_EQ(rec["op"], "sign");
  EXPECT_EQ(rec["scheme"], "jws");
  EXPECT_EQ(rec["key"], "restricted");
}

}  // namespace
}  // namespace p11signd::daemon
