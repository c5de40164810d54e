// Admin routes (key generation, import, certificates, CSRs) and the audit trail, as an admin peer
// (root).
#include <openssl/pem.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/digest.h"
#include "common/encoding.h"
#include "common/openssl_ptr.h"
#include "daemon/routes/public_key.h"
#include "daemon/testing/test_support.h"

namespace p11signd::daemon {
namespace {

using namespace p11signd::daemon::testing;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string private_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

// A key made through the API signs for no scheme until the configuration names it (and its
// schemes); admins may make its certificate and CSR meanwhile.
TEST(ServerAdmin, GeneratesAKeyThatSignsNothingUntilConfigured) {
  if (geteuid() != 0) GTEST_SKIP() << "the test config names uid 0 as admin";
  TestDaemon d;
  Client c(d.socket());
  auto res = c.post("/v1/keys", R"({"name":"made","label":"made-label","bits":2048})");
  ASSERT_EQ(res.result_int(), 201u) << res.body();
  auto j = body_json(res);
  EXPECT_EQ(j["key"]["name"], "made");
  EXPECT_EQ(j["key"]["label"], "made-label");
  const std::string snippet = j["config"].get<std::string>();
  EXPECT_NE(snippet.find("[key.made]"), std::string::npos);
  EXPECT_NE(snippet.find("\nschemes =\n"), std::string::npos) << snippet;
  EXPECT_EQ(j["key"]["schemes"], nlohmann::json::array());

  auto refused = c.post("/v1/keys/made/sign", sign_body("runtime"));
  EXPECT_EQ(refused.result_int(), 403u) << refused.body();
  EXPECT_NE(refused.body().find("no [key.made] section yet"), std::string::npos) << refused.body();
  EXPECT_EQ(c.post("/v1/keys/made/csr", R"({"subject":"CN=made"})").result_int(), 200u);
  EXPECT_EQ(c.post("/v1/keys/made/certificate", R"({"subject":"CN=made"})").result_int(), 201u);

  d.write_config(
      "[key.demo]\nlabel = demo\nallow-uids = 0\nschemes = raw\n"
      "[key.made]\nlabel = made-label\nallow-uids = 0\nschemes = raw\n");
  ASSERT_TRUE(d.daemon().reload_now().empty());
  auto sig = c.post("/v1/keys/made/sign", sign_body("runtime"));
  ASSERT_EQ(sig.result_int(), 200u) << sig.body();
  SignRequest req;
  EXPECT_TRUE(verify_signature(d.store().key("made")->spki_der, req, as_bytes("runtime"),
                               *base64_decode(body_json(sig)["signature"].get<std::string>())));
  EXPECT_EQ(c.post("/v1/keys", R"({"name":"made"})").result_int(), 409u);
  EXPECT_EQ(c.post("/v1/keys", R"({"name":"x","bits":1000})").result_int(), 422u);
  EXPECT_EQ(c.post("/v1/keys", R"({"name":"bad name"})").result_int(), 422u);
  EXPECT_EQ(c.post("/v1/keys", R"({"bits":2048})").result_int(), 400u);

  // The key stays named across a reload that does not mention it (and signs nothing again).
  d.write_config("[key.demo]\nlabel = demo\nallow-uids = 0\nschemes = raw\n");
  EXPECT_TRUE(d.daemon().reload_now().empty());
  EXPECT_EQ(c.post("/v1/keys/made/sign", sign_body("after reload")).result_int(), 403u);
  EXPECT_EQ(c.post("/v1/keys/made/csr", R"({"subject":"CN=made"})").result_int(), 200u);
}

std::string body_without_name(nlohmann::json body) {
  body.erase("name");
  return body.dump();
}

TEST(ServerAdmin, ImportsAKeyAndNeverEchoesIt) {
  if (geteuid() != 0) GTEST_SKIP() << "the test config names uid 0 as admin";
  TestDaemon d;
  Client c(d.socket());
  auto key = shared_key(3);
  nlohmann::json body{{"name", "imported"}, {"pem", private_pem(key.get())}};
  auto res = c.post("/v1/keys/import", body.dump());
  ASSERT_EQ(res.result_int(), 201u) << res.body();
  EXPECT_EQ(res.body().find("PRIVATE"), std::string::npos);
  EXPECT_EQ(body_json(res)["key"]["generated_on_token"], false);
  EXPECT_EQ(d.store().key("imported")->spki_der, spki_der(key.get()));
  EXPECT_EQ(c.post("/v1/keys/import", R"({"name":"junk","pem":"not a key"})").result_int(), 422u);
  // The PEM is taken out of the body first; the other fields' errors still name them.
  const auto no_pem = c.post("/v1/keys/import", R"({"name":"x"})");
  EXPECT_EQ(no_pem.result_int(), 400u);
  EXPECT_NE(no_pem.body().find("'pem'"), std::string::npos) << no_pem.body();
  const auto no_name = c.post("/v1/keys/import", body_without_name(body));
  EXPECT_EQ(no_name.result_int(), 400u);
  EXPECT_NE(no_name.body().find("'name'"), std::string::npos) << no_name.body();
  EXPECT_EQ(no_name.body().find("PRIVATE"), std::string::npos);
  const auto pem_number = c.post("/v1/keys/import", R"({"name":"x","pem":1})");
  EXPECT_EQ(pem_number.result_int(), 400u);
  EXPECT_NE(pem_number.body().find("'pem' must be a string"), std::string::npos)
      << pem_number.body();
  const auto two_pems = c.post("/v1/keys/import", R"({"name":"x","pem":"a","pem":"b"})");
  EXPECT_EQ(two_pems.result_int(), 400u);
  EXPECT_NE(two_pems.body().find("more than once"), std::string::npos) << two_pems.body();
  EXPECT_EQ(read_file(d.audit_path()).find("PRIVATE"), std::string::npos);
}

TEST(ServerAdmin, SelfSignedCertificateIsStoredAndServed) {
  if (geteuid() != 0) GTEST_SKIP() << "the test config names uid 0 as admin";
  TestDaemon d;
  Client c(d.socket());
  EXPECT_EQ(error_code_of(c.get("/v1/keys/demo/certificate")), "certificate_not_found");
  auto made =
      c.post("/v1/keys/demo/certificate", R"({"subject":"CN=p11signd test,O=Example","days":30})");
  ASSERT_EQ(made.result_int(), 201u) << made.body();
  EXPECT_EQ(made.body().rfind("-----BEGIN CERTIFICATE-----", 0), 0u);
  auto got = c.get("/v1/keys/demo/certificate");
  ASSERT_EQ(got.result_int(), 200u);
  EXPECT_EQ(got.body(), made.body());
  EXPECT_EQ(c.post("/v1/keys/demo/certificate", R"({"subject":"CN=x","days":0})").result_int(),
            422u);
  EXPECT_EQ(c.post("/v1/keys/nope/certificate", R"({"subject":"CN=x"})").result_int(), 404u);

  // The stored certificate may be the one a provider issued: replaced only when asked to.
  auto again = c.post("/v1/keys/demo/certificate", R"({"subject":"CN=again"})");
  EXPECT_EQ(again.result_int(), 409u) << again.body();
  EXPECT_NE(again.body().find("\\\"replace\\\": true"), std::string::npos) << again.body();
  EXPECT_EQ(c.get("/v1/keys/demo/certificate").body(), made.body());
  EXPECT_EQ(
      c.post("/v1/keys/demo/certificate", R"({"subject":"CN=x","replace":"yes"})").result_int(),
      400u);
  auto replaced = c.post("/v1/keys/demo/certificate", R"({"subject":"CN=again","replace":true})");
  ASSERT_EQ(replaced.result_int(), 201u) << replaced.body();
  EXPECT_EQ(c.get("/v1/keys/demo/certificate").body(), replaced.body());
}

// Making a certificate or a CSR is a signature by the key: an admin outside the key's ACL is
// refused both, and the refusal is audited with the rule while the answer does not name it.
TEST(ServerAdmin, CertificateAndCsrNeedTheKeysAclToo) {
  if (geteuid() != 0) GTEST_SKIP() << "the test config names uid 0 as admin";
  TestDaemon::Options o;
  o.sections =
      "[key.demo]\nlabel = demo\nallow-uids = 4711\nschemes = raw\n"
      "[key.second]\nlabel = second\nallow-uids = 0\n";  // no schemes: certificates still work
  TestDaemon d(o);
  Client c(d.socket());
  for (const char* op : {"certificate", "csr"}) {
    auto res = c.post(std::string("/v1/keys/demo/") + op, R"({"subject":"CN=x"})");
    EXPECT_EQ(res.result_int(), 403u) << op << ": " << res.body();
    EXPECT_NE(res.body().find("may not use key 'demo'"), std::string::npos) << res.body();
    EXPECT_EQ(res.body().find("4711"), std::string::npos) << res.body();
  }
  EXPECT_EQ(error_code_of(c.get("/v1/keys/demo/certificate")), "certificate_not_found");
  EXPECT_EQ(c.post("/v1/keys/second/csr", R"({"subject":"CN=x"})").result_int(), 200u);
  EXPECT_EQ(c.post("/v1/keys/second/certificate", R"({"subject":"CN=x"})").result_int(), 201u);
  d.stop();
  int denials = 0;
  for (const auto& rec : d.audit_records()) {
    if (rec.value("op", "") == "deny" && rec.value("key", "") == "demo" &&
        rec.value("result", "").find("allow-uids = 4711") != std::string::npos) {
      ++denials;
    }
  }
  EXPECT_EQ(denials, 2);
}

TEST(ServerAdmin, MakesACsr) {
  if (geteuid() != 0) GTEST_SKIP() << "the test config names uid 0 as admin";
  TestDaemon d;
  Client c(d.socket());
  auto res = c.post("/v1/keys/demo/csr", R"({"subject":"CN=shop.example"})");
  ASSERT_EQ(res.result_int(), 200u) << res.body();
  EXPECT_EQ(res.body().rfind("-----BEGIN CERTIFICATE REQUEST-----", 0), 0u);
  EXPECT_EQ(c.post("/v1/keys/demo/csr", R"({"subject":"garbage"})").result_int(), 422u);
}

TEST(ServerAudit, OneLinePerOperationWithTheDigestNeverTheData) {
  TestDaemon d;
  Client c(d.socket());
  const std::string secret = "card number 4111111111111111";
  ASSERT_EQ(c.post("/v1/keys/demo/sign", sign_body(secret)).result_int(), 200u);
  c.post("/v1/keys/restricted/sign", sign_body("x"));
  d.stop();
  const auto records = d.audit_records();
  ASSERT_EQ(records.size(), 2u);
  const auto& sign = records[0];
  EXPECT_EQ(sign["op"], "sign");
  EXPECT_EQ(sign["key"], "demo");
  EXPECT_EQ(sign["scheme"], "raw");
  EXPECT_EQ(sign["alg"], "RSA-SHA256");
  EXPECT_EQ(sign["result"], "ok");
  EXPECT_EQ(sign["data_sha256"], sha256_hex(as_bytes(secret)));
  EXPECT_EQ(sign["peer"]["uid"], geteuid());
  EXPECT_EQ(sign["peer"]["pid"], getpid());
  EXPECT_FALSE(sign["peer"]["exe"].get<std::string>().empty());
  EXPECT_EQ(sign["peer"]["comm"], "daemon_test");
  EXPECT_TRUE(sign.contains("time"));
  EXPECT_TRUE(sign.contains("latency_us"));
  EXPECT_EQ(records[1]["op"], "deny");
  EXPECT_EQ(records[1]["key"], "restricted");
  const std::string all = read_file(d.audit_path());
  EXPECT_EQ(all.find("4111"), std::string::npos);
  EXPECT_EQ(all.find(base64_encode(as_bytes(secret))), std::string::npos);
}

TEST(ServerAudit, SigningStopsWhenTheAuditLogCannotBeWritten) {
  TestDaemon d;
  // /dev/full accepts the open and fails every write (ENOSPC).
  d.write_config("[key.demo]\nlabel = demo\nallow-uids = 0\nschemes = raw\n");
  std::string conf = read_file(d.config_path());
  conf.replace(conf.find(d.audit_path()), d.audit_path().size(), "/dev/full");
  ConfigResult loaded = parse_config_text(conf);
  ASSERT_TRUE(loaded.ok());
  d.stop();
  std::filesystem::remove(d.socket());
  auto store = std::make_unique<FakeKeyStore>();
  store->add_token_key("demo", shared_key(0));
  ASSERT_TRUE(check_with_store(loaded.config, *store).problems.empty());
  const FakeKeyStore* token = store.get();  // owned by the daemon below, which outlives its use
  DaemonOptions options;
  options.handle_signals = false;
  options.socket_activation = false;
  Daemon daemon(loaded.config, std::move(store), options);
  std::thread t([&] { daemon.run(); });
  ASSERT_TRUE(daemon.wait_until_listening(std::chrono::seconds(5)));
  {
    Client c(d.socket());
    for (int i = 0; i < 2; ++i) {
      auto res = c.post("/v1/keys/demo/sign", sign_body("x"));
      EXPECT_EQ(res.result_int(), 503u);
      EXPECT_EQ(error_code_of(res), "audit_unavailable");
      EXPECT_EQ(res.body().find("signature\""), std::string::npos);
      // The first request signs and then finds it cannot audit (the signature is withheld); the
      // second is refused before it reaches the token.
      EXPECT_EQ(token->signs_started(), 1u) << "request " << i + 1;
      EXPECT_EQ(token->sign_count(), 1u) << "request " << i + 1;
    }
    auto health = c.get("/v1/health");
    EXPECT_EQ(health.result_int(), 503u);
    EXPECT_NE(health.body().find("audit log"), std::string::npos) << health.body();
  }
  daemon.request_stop();
  t.join();
}

}  // namespace
}  // namespace p11signd::daemon
