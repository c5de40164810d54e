// Key versions through the API (docs/api.md "Key versions"), against the fake store: the listing,
// rotation, activation, retirement and destruction, settings, the JWK Set, ?version=, the version
// in sign and verify answers and audit lines, and a sign that loses the race with an activation.
#include <gtest/gtest.h>

#include <openssl/pem.h>

#include "common/digest.h"
#include "common/encoding.h"
#include "common/openssl_ptr.h"
#include "common/public_key.h"
#include "common/testing/software_sign.h"
#include "daemon/routes/public_key.h"
#include "daemon/testing/test_support.h"

namespace p11signd::daemon {
namespace {

using namespace p11signd::daemon::testing;

// The harness's keys, with "restricted" signing jws and amazonpay (version settings reach both).
TestDaemon::Options versions_options(const std::string& daemon_extra = "") {
  TestDaemon::Options options;
  options.daemon_extra = daemon_extra;
  options.sections =
      "[key.demo]\nlabel = demo\nallow-uids = 0\nschemes = raw\n"
      "[key.restricted]\nlabel = restricted\nallow-uids = 0\nschemes = jws, amazonpay\n"
      "amazonpay.public-key-id = FIRST-ID\namazonpay.region = eu\n";
  return options;
}

nlohmann::json states(const Response& res) {
  nlohmann::json out = nlohmann::json::object();
  const auto listing = body_json(res);
  for (const auto& v : listing["versions"]) {
    out[std::to_string(v["version"].get<unsigned>())] = v["state"];
  }
  return out;
}

Bytes spki_of(Client& c, const std::string& key, unsigned version) {
  auto res =
      c.get("/v1/keys/" + key + "/public-key?format=der-base64&version=" + std::to_string(version));
  EXPECT_EQ(res.result_int(), 200u) << res.body();
  return *base64_decode(body_json(res)["public_key"].get<std::string>());
}

bool verifies(const Bytes& spki, const std::string& data, const Response& signed_res) {
  SignRequest req;
  return verify_signature(spki, req, as_bytes(data),
                          *base64_decode(body_json(signed_res)["signature"].get<std::string>()));
}

std::vector<nlohmann::json> records_of(const TestDaemon& d, const std::string& op) {
  std::vector<nlohmann::json> out;
  for (auto& rec : d.audit_records()) {
    if (rec["op"] == op) out.push_back(rec);
  }
  return out;
}

TEST(ServerVersions, AKeyConfiguredTheOldWayIsVersionOneActive) {
  TestDaemon d(versions_options());
  Client c(d.socket());
  auto res = c.get("/v1/keys/demo/versions");
  ASSERT_EQ(res.result_int(), 200u) << res.body();
  const auto j = body_json(res);
  EXPECT_EQ(j["key"], "demo");
  ASSERT_EQ(j["versions"].size(), 1u);
  const auto& v = j["versions"][0];
  EXPECT_EQ(v["version"], 1);
  EXPECT_EQ(v["state"], "active");
  EXPECT_EQ(v["type"], "rsa");
  EXPECT_EQ(v["bits"], 2048);
  EXPECT_TRUE(v["created"].is_null());
  EXPECT_EQ(v["kid"], "demo-v1");
  EXPECT_EQ(v["settings"], nlohmann::json::object());
  EXPECT_TRUE(v["certificate"].is_null());
  EXPECT_EQ(v["fingerprint_sha256"], d.store().key("demo")->fingerprint_sha256);
}

TEST(ServerVersions, RotateActivateRetireDestroy) {
  TestDaemon d(versions_options());
  Client c(d.socket());
  auto res = c.post("/v1/keys/demo/versions", "{}");
  ASSERT_EQ(res.result_int(), 201u) << res.body();
  EXPECT_EQ(states(res), (nlohmann::json{{"1", "active"}, {"2", "pending"}}));
  const auto made = body_json(res)["versions"][1];
  EXPECT_EQ(made["type"], "rsa");
  EXPECT_EQ(made["bits"], 2048);
  EXPECT_FALSE(made["created"].is_null());
  EXPECT_EQ(made["kid"], "demo-v2");

  // A pending version signs nothing.
  auto before = c.post("/v1/keys/demo/sign", sign_body("before"));
  ASSERT_EQ(before.result_int(), 200u) << before.body();
  EXPECT_EQ(body_json(before)["key_version"], 1);
  EXPECT_TRUE(verifies(spki_of(c, "demo", 1), "before", before));

  res = c.post("/v1/keys/demo/versions/2/activate", "");
  ASSERT_EQ(res.result_int(), 200u) << res.body();
  EXPECT_EQ(states(res), (nlohmann::json{{"1", "retiring"}, {"2", "active"}}));
  auto after = c.post("/v1/keys/demo/sign", sign_body("after"));
  ASSERT_EQ(after.result_int(), 200u) << after.body();
  EXPECT_EQ(body_json(after)["key_version"], 2);
  EXPECT_TRUE(verifies(spki_of(c, "demo", 2), "after", after));
  EXPECT_FALSE(verifies(spki_of(c, "demo", 1), "after", after));

  res = c.post("/v1/keys/demo/versions/1/retire", "{}");
  ASSERT_EQ(res.result_int(), 200u) << res.body();
  EXPECT_EQ(states(res), (nlohmann::json{{"1", "retired"}, {"2", "active"}}));
  res = c.request(http::verb::delete_, "/v1/keys/demo/versions/1", R"({"confirm":true})");
  ASSERT_EQ(res.result_int(), 200u) << res.body();
  EXPECT_EQ(states(res), (nlohmann::json{{"2", "active"}}));
  EXPECT_EQ(error_code_of(c.get("/v1/keys/demo/public-key?version=1")), "version_not_found");

  // Every operation is audited with the version it made or changed.
  const std::vector<std::pair<std::string, unsigned>> ops = {
      {"rotate", 2}, {"activate", 2}, {"retire", 1}, {"destroy", 1}};
  for (const auto& [op, version] : ops) {
    const auto recs = records_of(d, op);
    ASSERT_EQ(recs.size(), 1u) << op;
    EXPECT_EQ(recs[0]["key"], "demo");
    EXPECT_EQ(recs[0]["key_version"], version) << op;
    EXPECT_EQ(recs[0]["result"], "ok") << op;
  }
  const auto signs = records_of(d, "sign");
  ASSERT_EQ(signs.size(), 2u);
  EXPECT_EQ(signs[0]["key_version"], 1);
  EXPECT_EQ(signs[1]["key_version"], 2);
}

TEST(ServerVersions, RotateTakesAShapeOrAPrivateKey) {
  TestDaemon d(versions_options());
  Client c(d.socket());
  auto res = c.post("/v1/keys/demo/versions", R"({"type":"ec","curve":"P-256"})");
  ASSERT_EQ(res.result_int(), 201u) << res.body();
  EXPECT_EQ(body_json(res)["versions"][1]["type"], "ec") << res.body();
  EXPECT_EQ(body_json(res)["versions"][1]["curve"], "P-256") << res.body();

  auto key = ::p11signd::testing::generate_software_key(KeyType::kEd25519);
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  const nlohmann::json body{{"pem", std::string(data, static_cast<std::size_t>(n))}};
  res = c.post("/v1/keys/demo/versions", body.dump());
  ASSERT_EQ(res.result_int(), 201u) << res.body();
  const auto imported = body_json(res)["versions"][2];
  EXPECT_EQ(imported["fingerprint_sha256"], sha256_hex(spki_der(key.get())));
  EXPECT_EQ(records_of(d, "rotate-import").at(0)["key_version"], 3);

  EXPECT_EQ(error_code_of(c.post("/v1/keys/demo/versions", R"({"pem":"x","type":"rsa"})")),
            "bad_field");
  EXPECT_EQ(error_code_of(c.post("/v1/keys/demo/versions", R"({"pem":"not a key"})")),
            "invalid_request");
  EXPECT_EQ(error_code_of(c.post("/v1/keys/demo/versions", R"({"type":"rsa","curve":"P-256"})")),
            "invalid_request");
}

TEST(ServerVersions, Refusals) {
  TestDaemon d(versions_options());
  Client c(d.socket());
  ASSERT_EQ(c.post("/v1/keys/demo/versions", "{}").result_int(), 201u);
  auto res = c.post("/v1/keys/demo/versions/9/activate", "");
  EXPECT_EQ(res.result_int(), 404u);
  EXPECT_EQ(error_code_of(res), "version_not_found");
  EXPECT_EQ(error_code_of(c.post("/v1/keys/demo/versions/two/retire", "")), "version_not_found");
  EXPECT_EQ(error_code_of(c.post("/v1/keys/nope/versions", "{}")), "key_not_found");
  // The active version can be neither retired nor destroyed; destroying needs a retired version
  // and the confirmation.
  EXPECT_EQ(c.post("/v1/keys/demo/versions/1/retire", "").result_int(), 409u);
  res = c.request(http::verb::delete_, "/v1/keys/demo/versions/2", R"({"confirm":true})");
  EXPECT_EQ(res.result_int(), 409u) << res.body();
  EXPECT_NE(body_json(res)["error"]["message"].get<std::string>().find("pending"),
            std::string::npos);
  ASSERT_EQ(c.post("/v1/keys/demo/versions/2/retire", "").result_int(), 200u);
  res = c.request(http::verb::delete_, "/v1/keys/demo/versions/2", "");
  EXPECT_EQ(res.result_int(), 400u) << res.body();
  EXPECT_EQ(error_code_of(res), "missing_field");
  res = c.request(http::verb::delete_, "/v1/keys/demo/versions/2", R"({"confirm":false})");
  EXPECT_EQ(error_code_of(res), "bad_field");
  // A retired version never signs again.
  res = c.post("/v1/keys/demo/versions/2/activate", "");
  EXPECT_EQ(res.result_int(), 409u) << res.body();
  EXPECT_EQ(c.post("/v1/keys/demo/versions/1/activate", "{\"now\":1}").result_int(), 400u);
}

TEST(ServerVersions, AdminOperationsNeedAnAdmin) {
  TestDaemon d(versions_options("admin-uids = 4242\n"));
  Client c(d.socket());
  for (const auto& [method, target] : std::vector<std::pair<http::verb, std::string>>{
           {http::verb::post, "/v1/keys/demo/versions"},
           {http::verb::post, "/v1/keys/demo/versions/1/activate"},
           {http::verb::post, "/v1/keys/demo/versions/1/retire"},
           {http::verb::delete_, "/v1/keys/demo/versions/1"},
           {http::verb::put, "/v1/keys/demo/versions/1/settings"}}) {
    auto res = c.request(method, target, "{}");
    EXPECT_EQ(res.result_int(), 403u) << target << ": " << res.body();
  }
  // Reading them is the public key's rule: root may use the key.
  EXPECT_EQ(c.get("/v1/keys/demo/versions").result_int(), 200u);
  EXPECT_EQ(c.get("/v1/keys/demo/jwks").result_int(), 200u);
  EXPECT_EQ(records_of(d, "deny").size(), 5u);
}

TEST(ServerVersions, SettingsAreCheckedAgainstTheKeysSchemes) {
  TestDaemon d(versions_options());
  Client c(d.socket());
  auto res = c.request(http::verb::put, "/v1/keys/restricted/versions/1/settings",
                       R"({"settings":{"amazonpay.public-key-idd":"X"}})");
  EXPECT_EQ(res.result_int(), 400u);
  const std::string message = body_json(res)["error"]["message"];
  EXPECT_NE(message.find("'amazonpay.public-key-idd'"), std::string::npos) << message;
  EXPECT_NE(message.find("did you mean 'amazonpay.public-key-id'"), std::string::npos) << message;
  // mypos is not a scheme of this key.
  res = c.request(http::verb::put, "/v1/keys/restricted/versions/1/settings",
                  R"({"settings":{"mypos.sid":"1"}})");
  EXPECT_EQ(res.result_int(), 400u) << res.body();
  res = c.request(http::verb::put, "/v1/keys/restricted/versions/1/settings",
                  R"({"settings":{"jws.kid":5}})");
  EXPECT_EQ(error_code_of(res), "bad_field");
  res = c.request(http::verb::put, "/v1/keys/restricted/versions/1/settings",
                  R"({"settings":{"jws.kid":"first"}})");
  ASSERT_EQ(res.result_int(), 200u) << res.body();
  EXPECT_EQ(body_json(res)["versions"][0]["settings"], (nlohmann::json{{"jws.kid", "first"}}));
  EXPECT_EQ(body_json(res)["versions"][0]["kid"], "first");
  EXPECT_EQ(records_of(d, "version-settings").back()["key_version"], 1);
}

std::string jws_header(const Response& res) {
  const std::string jws = body_json(res)["jws"];
  const auto header = base64url_decode(jws.substr(0, jws.find('.')));
  return std::string(header->begin(), header->end());
}

// What a scheme's canonical string names comes from the version that signs.
TEST(ServerVersions, ASchemeSignsWithTheActiveVersionsSettings) {
  TestDaemon d(versions_options());
  Client c(d.socket());
  const std::string jws_body = R"({"key":"restricted","alg":"RS256","payload":{"a":1}})";
  auto res = c.post("/v1/schemes/jws/sign", jws_body);
  ASSERT_EQ(res.result_int(), 200u) << res.body();
  EXPECT_EQ(body_json(res)["key_version"], 1);
  EXPECT_EQ(jws_header(res).find("kid"), std::string::npos) << jws_header(res);

  ASSERT_EQ(c.post("/v1/keys/restricted/versions", "{}").result_int(), 201u);
  ASSERT_EQ(c.request(http::verb::put, "/v1/keys/restricted/versions/2/settings",
                      R"({"settings":{"amazonpay.public-key-id":"SECOND-ID"}})")
                .result_int(),
            200u);
  ASSERT_EQ(c.post("/v1/keys/restricted/versions/2/activate", "").result_int(), 200u);
  res = c.post("/v1/schemes/jws/sign", jws_body);
  ASSERT_EQ(res.result_int(), 200u) << res.body();
  EXPECT_EQ(body_json(res)["key_version"], 2);
  EXPECT_NE(jws_header(res).find(R"("kid":"restricted-v2")"), std::string::npos) << jws_header(res);

  const nlohmann::json amazon{{"key", "restricted"},
                              {"method", "POST"},
                              {"url", "https://pay-api.amazon.com/v2/checkoutSessions"},
                              {"headers", {{"x-amz-pay-date", "20260101T000000Z"}}},
                              {"body", "{}"}};
  res = c.post("/v1/schemes/amazonpay/sign", amazon.dump());
  ASSERT_EQ(res.result_int(), 200u) << res.body();
  EXPECT_EQ(body_json(res)["key_version"], 2);
  EXPECT_NE(res.body().find("PublicKeyId=SECOND-ID"), std::string::npos) << res.body();
  EXPECT_EQ(res.body().find("FIRST-ID"), std::string::npos) << res.body();
  for (const auto& rec : records_of(d, "sign")) {
    EXPECT_EQ(rec["key_version"], rec == records_of(d, "sign").front() ? 1 : 2) << rec.dump();
  }
}

TEST(ServerVersions, JwksPublishesEveryVersionButTheRetired) {
  TestDaemon d(versions_options());
  Client c(d.socket());
  ASSERT_EQ(c.post("/v1/keys/demo/versions", "{}").result_int(), 201u);
  ASSERT_EQ(c.post("/v1/keys/demo/versions", R"({"type":"ed25519"})").result_int(), 201u);
  ASSERT_EQ(c.post("/v1/keys/demo/versions/2/activate", "").result_int(), 200u);
  ASSERT_EQ(c.post("/v1/keys/demo/versions/1/retire", "").result_int(), 200u);
  auto res = c.get("/v1/keys/demo/jwks");
  ASSERT_EQ(res.result_int(), 200u) << res.body();
  const auto keys = body_json(res)["keys"];
  ASSERT_EQ(keys.size(), 2u) << res.body();
  EXPECT_EQ(keys[0]["kid"], "demo-v2");
  EXPECT_EQ(keys[0]["kty"], "RSA");
  EXPECT_EQ(keys[0]["use"], "sig");
  EXPECT_EQ(keys[0]["n"].get<std::string>(),
            spki_jwk(spki_of(c, "demo", 2))["n"].get<std::string>());
  EXPECT_EQ(keys[1]["kid"], "demo-v3");
  EXPECT_EQ(keys[1]["kty"], "OKP");
  EXPECT_EQ(keys[1]["x"].get<std::string>(),
            spki_jwk(spki_of(c, "demo", 3))["x"].get<std::string>());
}

TEST(ServerVersions, VersionQueryOnPublicKeyCertificateAndCsr) {
  TestDaemon d(versions_options());
  Client c(d.socket());
  ASSERT_EQ(c.post("/v1/keys/demo/versions", "{}").result_int(), 201u);
  EXPECT_NE(spki_of(c, "demo", 1), spki_of(c, "demo", 2));
  EXPECT_EQ(c.get("/v1/keys/demo/public-key?format=der-base64").body(),
            c.get("/v1/keys/demo/public-key?format=der-base64&version=1").body());

  auto res = c.post("/v1/keys/demo/certificate?version=2", R"({"subject":"CN=second"})");
  ASSERT_EQ(res.result_int(), 201u) << res.body();
  EXPECT_EQ(c.get("/v1/keys/demo/certificate?version=2").body(), res.body());
  EXPECT_EQ(error_code_of(c.get("/v1/keys/demo/certificate")), "certificate_not_found");
  EXPECT_EQ(error_code_of(c.get("/v1/keys/demo/certificate?version=1")), "certificate_not_found");
  // The certificate and CSR are made for (and signed by) the pending version's key.
  BioPtr bio(BIO_new_mem_buf(res.body().data(), static_cast<int>(res.body().size())));
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  ASSERT_TRUE(cert);
  EXPECT_EQ(spki_der(X509_get0_pubkey(cert.get())), spki_of(c, "demo", 2));
  auto csr = c.post("/v1/keys/demo/csr?version=2", R"({"subject":"CN=second"})");
  ASSERT_EQ(csr.result_int(), 200u) << csr.body();
  BioPtr csr_bio(BIO_new_mem_buf(csr.body().data(), static_cast<int>(csr.body().size())));
  X509ReqPtr req(PEM_read_bio_X509_REQ(csr_bio.get(), nullptr, nullptr, nullptr));
  ASSERT_TRUE(req);
  EXPECT_EQ(spki_der(X509_REQ_get0_pubkey(req.get())), spki_of(c, "demo", 2));
  EXPECT_EQ(records_of(d, "csr").at(0)["key_version"], 2);

  // The listing shows the certificate of the version it belongs to.
  const auto listing = body_json(c.get("/v1/keys/demo/versions"))["versions"];
  EXPECT_TRUE(listing[0]["certificate"].is_null());
  EXPECT_EQ(listing[1]["certificate"]["subject"], "CN=second");
  EXPECT_EQ(listing[1]["certificate"]["not_after"].get<std::string>().size(), 20u);
  EXPECT_EQ(error_code_of(c.get("/v1/keys/demo/public-key?version=0")), "bad_query");
  EXPECT_EQ(error_code_of(c.post("/v1/keys/demo/csr?version=5", R"({"subject":"CN=x"})")),
            "version_not_found");
}

TEST(ServerVersions, VerifyAcceptsAPublishedVersionAndNamesIt) {
  TestDaemon d(versions_options());
  Client c(d.socket());
  auto old_sig = c.post("/v1/keys/demo/sign", sign_body("old"));
  ASSERT_EQ(c.post("/v1/keys/demo/versions", "{}").result_int(), 201u);
  ASSERT_EQ(c.post("/v1/keys/demo/versions/2/activate", "").result_int(), 200u);
  auto new_sig = c.post("/v1/keys/demo/sign", sign_body("new"));
  auto verify = [&](const std::string& data, const Response& sig) {
    const nlohmann::json body{{"data", base64_encode(as_bytes(data))},
                              {"signature", body_json(sig)["signature"]}};
    auto res = c.post("/v1/keys/demo/verify", body.dump());
    EXPECT_EQ(res.result_int(), 200u) << res.body();
    return body_json(res);
  };
  EXPECT_EQ(verify("new", new_sig)["key_version"], 2);
  // Version 1 is retiring: its signatures still verify.
  EXPECT_EQ(verify("old", old_sig)["key_version"], 1);
  EXPECT_EQ(verify("old", old_sig)["valid"], true);
  ASSERT_EQ(c.post("/v1/keys/demo/versions/1/retire", "").result_int(), 200u);
  const auto refused = verify("old", old_sig);
  EXPECT_EQ(refused["valid"], false);
  EXPECT_FALSE(refused.contains("key_version"));
  const auto verifies = records_of(d, "verify");
  EXPECT_EQ(verifies.at(0)["key_version"], 2);
  EXPECT_FALSE(verifies.back().contains("key_version"));
}

TEST(ServerVersions, SchemeVerifyTriesEveryPublishedVersion) {
  TestDaemon d(versions_options());
  Client c(d.socket());
  const std::string jws_body = R"({"key":"restricted","alg":"RS256","payload":{"a":1}})";
  const std::string first = body_json(c.post("/v1/schemes/jws/sign", jws_body))["jws"];
  ASSERT_EQ(c.post("/v1/keys/restricted/versions", "{}").result_int(), 201u);
  ASSERT_EQ(c.post("/v1/keys/restricted/versions/2/activate", "").result_int(), 200u);
  const std::string second = body_json(c.post("/v1/schemes/jws/sign", jws_body))["jws"];
  auto verify = [&](const std::string& jws) {
    return body_json(c.post("/v1/schemes/jws/verify",
                            nlohmann::json{{"key", "restricted"}, {"jws", jws}}.dump()));
  };
  EXPECT_EQ(verify(second)["key_version"], 2);
  EXPECT_EQ(verify(first)["key_version"], 1);
  ASSERT_EQ(c.post("/v1/keys/restricted/versions/1/retire", "").result_int(), 200u);
  EXPECT_EQ(verify(first)["valid"], false);
}

// An activation between the moment a request resolved the active version and the moment it signs:
// the pinned signature is refused and the request is made again with the new version.
TEST(ServerVersions, ASignThatLosesTheRaceIsRedoneWithTheNewVersion) {
  TestDaemon d(versions_options());
  Client c(d.socket());
  ASSERT_EQ(c.post("/v1/keys/restricted/versions", "{}").result_int(), 201u);
  d.store().activate_before_next_sign("restricted", 2);
  auto res =
      c.post("/v1/schemes/jws/sign", R"({"key":"restricted","alg":"RS256","payload":{"a":1}})");
  ASSERT_EQ(res.result_int(), 200u) << res.body();
  EXPECT_EQ(body_json(res)["key_version"], 2);
  EXPECT_NE(jws_header(res).find(R"("kid":"restricted-v2")"), std::string::npos);
  const auto signs = records_of(d, "sign");
  ASSERT_EQ(signs.size(), 2u);
  EXPECT_EQ(signs[0]["key_version"], 1);
  EXPECT_NE(signs[0]["result"].get<std::string>().find("no longer active"), std::string::npos);
  EXPECT_EQ(signs[1]["key_version"], 2);
  EXPECT_EQ(signs[1]["result"], "ok");
  const nlohmann::json verify{{"key", "restricted"}, {"jws", body_json(res)["jws"]}};
  EXPECT_EQ(body_json(c.post("/v1/schemes/jws/verify", verify.dump()))["key_version"], 2);
}

}  // namespace
}  // namespace p11signd::daemon
