// The daemon over the real token layer: TokenKeyStore on a throwaway SoftHSM token (tests/testing),
// served on a temporary socket. Signatures are checked with OpenSSL against the public key the
// daemon hands out.
#include <gtest/gtest.h>

#include <thread>

#include "common/encoding.h"
#include "daemon/public_key.h"
#include "daemon/test_support.h"
#include "daemon/token_keystore.h"
#include "tests/testing/softhsm.h"

namespace p11signd::daemon {
namespace {

using namespace p11signd::daemon::testing;

class TokenDaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    hsm_ = std::make_unique<p11signd::testing::SoftHsm>("daemon-e2e");
    auto store = std::make_unique<TokenKeyStore>(pkcs11::Token::open(hsm_->config()));
    store->generate_key("demo", "demo", 2048);
    TestDaemon::Options o;
    o.sections = "[key.demo]\nlabel = demo\nallow-uids = 0\n";
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

TEST_F(TokenDaemonTest, AdminRoutesOnTheToken) {
  if (geteuid() != 0) GTEST_SKIP() << "the test config names uid 0 as admin";
  auto made = client_->post("/v1/keys", R"({"name":"fresh","bits":2048})");
  ASSERT_EQ(made.result_int(), 201u) << made.body();
  EXPECT_EQ(client_->post("/v1/keys/fresh/sign", sign_body("x")).result_int(), 200u);
  auto cert = client_->post("/v1/keys/demo/certificate", R"({"subject":"CN=e2e","days":7})");
  ASSERT_EQ(cert.result_int(), 201u) << cert.body();
  auto got = client_->get("/v1/keys/demo/certificate");
  ASSERT_EQ(got.result_int(), 200u) << got.body();
  EXPECT_EQ(got.body(), cert.body());
  auto csr = client_->post("/v1/keys/demo/csr", R"({"subject":"CN=e2e"})");
  ASSERT_EQ(csr.result_int(), 200u) << csr.body();
  EXPECT_NE(csr.body().find("BEGIN CERTIFICATE REQUEST"), std::string::npos);
}

}  // namespace
}  // namespace p11signd::daemon
