// The daemon over the real token layer: TokenKeyStore on a throwaway SoftHSM token (tests/testing),
// served on a temporary socket. Signatures are checked with OpenSSL against the public key the
// daemon hands out.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdio>
#include <iostream>
#include <thread>

#include "common/encoding.h"
#include "common/openssl_ptr.h"
#include "daemon/keystore/token_keystore.h"
#include "daemon/routes/public_key.h"
#include "daemon/testing/reload_under_load.h"
#include "daemon/testing/rotation_under_load.h"
#include "daemon/testing/test_support.h"
#include "tests/testing/softhsm.h"

namespace p11signd::daemon {
namespace {

using namespace p11signd::daemon::testing;

// SHA-256 of bytes as lowercase hex, computed here with OpenSSL alone (not with the daemon's
// helper).
std::string sha256_hex(const Bytes& bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EXPECT_EQ(EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr), 1);
  std::string hex;
  char two[3];
  for (unsigned int i = 0; i < len; ++i) {
    std::snprintf(two, sizeof two, "%02x", md[i]);
    hex += two;
  }
  return hex;
}

// The DER of the public key in a PEM text, re-encoded by OpenSSL.
Bytes der_of_pem(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  p11signd::EvpPkeyPtr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return {};
  unsigned char* der = nullptr;
  const int n = i2d_PUBKEY(key.get(), &der);
  Bytes out(der, der + std::max(n, 0));
  OPENSSL_free(der);
  return out;
}

class TokenDaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    hsm_ = std::make_unique<p11signd::testing::SoftHsm>("daemon-e2e");
    auto store = std::make_unique<TokenKeyStore>(pkcs11::Token::open(hsm_->config()));
    store->generate_key("demo", "demo", 2048);
    TestDaemon::Options o;
    o.sections = "[key.demo]\nlabel = demo\nallow-uids = 0\nschemes = raw\n";
    daemon_ = std::make_unique<TestDaemon>(o, std::move(store));
    client_ = std::make_unique<Client>(daemon_->socket());
    auto der = client_->get("/v1/keys/demo/public-key?format=der-base64");
    ASSERT_EQ(der.result_int(), 200u) << der.body();
    spki_ = *base64_decode(body_json(der)["public_key"].get<std::string>());
  }
  void TearDown() override {
    client_.reset();
    daemon_.reset();
    hsm_.reset();
  }

  std::unique_ptr<p11signd::testing::SoftHsm> hsm_;
  std::unique_ptr<TestDaemon> daemon_;
  std::unique_ptr<Client> client_;
  Bytes spki_;
};

TEST_F(TokenDaemonTest, HealthSignsOnTheToken) {
  auto res = client_->get("/v1/health");
  ASSERT_EQ(res.result_int(), 200u) << res.body();
  EXPECT_EQ(body_json(res)["token"]["label"], "daemon-e2e");
  EXPECT_EQ(body_json(res)["token"]["state"], "ready");
}

TEST_F(TokenDaemonTest, SignaturesVerifyWithOpenSsl) {
  for (const char* alg : {"RSA-SHA256", "RSA-PSS-SHA256"}) {
    auto res = client_->post("/v1/keys/demo/sign", sign_body("from the token", alg));
    ASSERT_EQ(res.result_int(), 200u) << res.body();
    SignRequest req;
    req.alg = *parse_sign_alg(alg);
    EXPECT_TRUE(verify_signature(spki_, req, as_bytes("from the token"),
                                 *base64_decode(body_json(res)["signature"].get<std::string>())));
  }
}

TEST_F(TokenDaemonTest, ManyClientsSignAtOnce) {
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&, t] {
      Client c(daemon_->socket());
      for (int i = 0; i < 10; ++i) {
        const std::string data = std::to_string(t) + "/" + std::to_string(i);
        auto res = c.post("/v1/keys/demo/sign", sign_body(data));
        if (res.result_int() != 200) continue;
        SignRequest req;
        ok += verify_signature(spki_, req, as_bytes(data),
                               *base64_decode(body_json(res)["signature"].get<std::string>()));
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 160);
}

// docs/api.md: GET /v1/keys gives each key's public key fingerprint (SHA-256 of the SPKI). It is
// the lowercase hex SHA-256 of exactly the DER the public-key route hands out (the same key as PEM
// and as the JWK's kid), and label and id are the token's: selecting the key by that id finds it
// again.
TEST_F(TokenDaemonTest, FingerprintIsSha256OfTheServedSpki) {
  auto listed = client_->get("/v1/keys");
  ASSERT_EQ(listed.result_int(), 200u) << listed.body();
  const auto keys = body_json(listed)["keys"];
  ASSERT_EQ(keys.size(), 1u) << listed.body();
  const auto& demo = keys[0];
  EXPECT_EQ(demo["name"], "demo");
  EXPECT_EQ(demo["label"], "demo");
  EXPECT_EQ(demo["bits"], 2048);
  const std::string fingerprint = demo["fingerprint_sha256"].get<std::string>();
  EXPECT_EQ(fingerprint, sha256_hex(spki_));
  EXPECT_EQ(fingerprint.size(), 64u);

  auto pem = client_->get("/v1/keys/demo/public-key");
  ASSERT_EQ(pem.result_int(), 200u) << pem.body();
  EXPECT_EQ(der_of_pem(pem.body()), spki_) << "the PEM and der-base64 forms differ";
  auto jwk = client_->get("/v1/keys/demo/public-key?format=jwk");
  ASSERT_EQ(jwk.result_int(), 200u) << jwk.body();
  EXPECT_EQ(body_json(jwk)["kid"], fingerprint);

  const std::string id = demo["id"].get<std::string>();
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
  daemon_->write_config(
      "[key.demo]\nlabel = demo\nallow-uids = 0\nschemes = raw\n"
      "[key.byid]\nid = " +
      id + "\nallow-uids = 0\nschemes = raw\n");
  const auto problems = daemon_->daemon().reload_now();
  ASSERT_TRUE(problems.empty()) << problems.front();
  auto again = client_->get("/v1/keys");
  ASSERT_EQ(again.result_int(), 200u) << again.body();
  bool found = false;
  const auto again_body = body_json(again);  // kept: a range-for over a temporary's member dangles
  for (const auto& k : again_body["keys"]) {
    if (k["name"] != "byid") continue;
    found = true;
    EXPECT_EQ(k["fingerprint_sha256"], fingerprint);
    EXPECT_EQ(k["label"], "demo");
    EXPECT_EQ(k["id"], id);
  }
  EXPECT_TRUE(found) << again.body();
}

TEST_F(TokenDaemonTest, AdminRoutesOnTheToken) {
  if (geteuid() != 0) GTEST_SKIP() << "the test config names uid 0 as admin";
  auto made = client_->post("/v1/keys", R"({"name":"fresh","bits":2048})");
  ASSERT_EQ(made.result_int(), 201u) << made.body();
  // Until a [key.fresh] section names its schemes, the new key signs for none, not even raw.
  EXPECT_EQ(client_->post("/v1/keys/fresh/sign", sign_body("x")).result_int(), 403u);
  EXPECT_EQ(client_->post("/v1/keys/fresh/csr", R"({"subject":"CN=fresh"})").result_int(), 200u);
  auto cert = client_->post("/v1/keys/demo/certificate", R"({"subject":"CN=e2e","days":7})");
  ASSERT_EQ(cert.result_int(), 201u) << cert.body();
  auto got = client_->get("/v1/keys/demo/certificate");
  ASSERT_EQ(got.result_int(), 200u) << got.body();
  EXPECT_EQ(got.body(), cert.body());
  // The stored certificate may be the one a provider issued: replaced only when asked to.
  auto again = client_->post("/v1/keys/demo/certificate", R"({"subject":"CN=again"})");
  EXPECT_EQ(again.result_int(), 409u) << again.body();
  EXPECT_NE(again.body().find("replace"), std::string::npos) << again.body();
  EXPECT_EQ(client_->get("/v1/keys/demo/certificate").body(), cert.body());
  auto replaced =
      client_->post("/v1/keys/demo/certificate", R"({"subject":"CN=again","replace":true})");
  ASSERT_EQ(replaced.result_int(), 201u) << replaced.body();
  EXPECT_EQ(client_->get("/v1/keys/demo/certificate").body(), replaced.body());
  auto csr = client_->post("/v1/keys/demo/csr", R"({"subject":"CN=e2e"})");
  ASSERT_EQ(csr.result_int(), 200u) << csr.body();
  EXPECT_NE(csr.body().find("BEGIN CERTIFICATE REQUEST"), std::string::npos);
}

// Reload atomicity on the real token: `k` is key a for this uid in one configuration and key b
// for another uid in the other. Whatever the interleaving of reloads and signatures, every 200 is
// a signature by a (the rule that allowed it was the one of a).
TEST(TokenDaemonReload, NoSignatureMixesOneConfigurationsKeyWithTheOthersRule) {
  p11signd::testing::SoftHsm hsm("reload-mix");
  auto store = std::make_unique<TokenKeyStore>(pkcs11::Token::open(hsm.config()));
  store->generate_key("a", "a", 2048);
  store->generate_key("b", "b", 2048);
  ReloadUnderLoad plan;
  plan.key = "k";
  plan.allowed_spki = store->key("a")->spki_der;
  const std::string me = std::to_string(::getuid());
  const std::string not_me = std::to_string(::getuid() + 1);
  plan.allowed_sections = "[key.k]\nlabel = a\nallow-uids = " + me + "\nschemes = raw\n";
  plan.refused_sections = "[key.k]\nlabel = b\nallow-uids = " + not_me + "\nschemes = raw\n";
  plan.reloads = 20;
  TestDaemon::Options o;
  o.sections = plan.allowed_sections;
  TestDaemon d(o, std::move(store));
  const ReloadOutcome out = sign_while_reloading(d, plan);
  std::cout << "signed by a: " << out.signed_by_allowed_key << ", refused: " << out.refused
            << ", key changed while queued: " << out.key_changed << '\n';
  EXPECT_EQ(out.reloads, plan.reloads);
  EXPECT_EQ(out.signed_by_other_key, 0);
  EXPECT_EQ(out.other, 0);
  EXPECT_GT(out.signed_by_allowed_key, 0);
}

// The zero-failure switch on the real token: 16 clients sign while a version is generated on the
// token, activated and the old one retired (daemon/testing/rotation_under_load.h).
TEST(TokenDaemonRotation, SixteenClientsSignThroughTheSwitchWithoutAnError) {
  p11signd::testing::SoftHsm hsm("rotation-load");
  auto store = std::make_unique<TokenKeyStore>(pkcs11::Token::open(hsm.config()));
  store->generate_key("demo", "demo", 2048);
  const TokenKeyStore& token = *store;
  TestDaemon::Options o;
  o.sections =
      "[key.demo]\nlabel = demo\nallow-uids = " + std::to_string(::getuid()) + "\nschemes = raw\n";
  o.daemon_extra = "admin-uids = " + std::to_string(::getuid()) + "\n";
  TestDaemon d(o, std::move(store));
  const RotationUnderLoad plan;
  const RotationOutcome out = sign_while_rotating(d, plan);
  const auto versions = token.versions(plan.key);
  ASSERT_EQ(versions.size(), 2u);
  for (const auto& p : rotation_problems(out, versions[0].spki_der, versions[1].spki_der,
                                         d.audit_records(), plan.key)) {
    ADD_FAILURE() << p;
  }
  EXPECT_EQ(versions[0].state, VersionState::kRetired);
  EXPECT_EQ(versions[1].state, VersionState::kActive);
  std::cout << out.answers.size() << " signatures through the switch\n";
}

}  // namespace
}  // namespace p11signd::daemon
