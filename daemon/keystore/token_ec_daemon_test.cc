// EC and Ed25519 keys through the daemon over the real token layer: every signature is checked by
// OpenSSL's own command line (`openssl pkeyutl -verify`) with the public key the daemon publishes,
// certificates and requests with `openssl verify` / `openssl req -verify`; the JWK forms are
// checked against the published SubjectPublicKeyInfo.
#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstdlib>
#include <fstream>

#include "common/digest.h"
#include "common/ecdsa_signature.h"
#include "common/encoding.h"
#include "daemon/keystore/token_keystore.h"
#include "daemon/routes/public_key.h"
#include "daemon/testing/test_support.h"
#include "tests/testing/softhsm.h"

namespace p11signd::daemon {
namespace {

using namespace p11signd::daemon::testing;

constexpr const char* kKeys[] = {"p256", "p384", "ed"};

void write_file(const std::string& path, const std::string& content) {
  std::ofstream(path, std::ios::binary) << content;
}

// True when `command` exits 0 (its output goes to the test's log).
bool runs(const std::string& command) { return std::system((command + " >&2").c_str()) == 0; }

class TokenEcDaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    hsm_ = std::make_unique<p11signd::testing::SoftHsm>("daemon-ec");
    auto store = std::make_unique<TokenKeyStore>(pkcs11::Token::open(hsm_->config()));
    store->generate_key("p256", "p256", KeyShape(KeyType::kEcP256, 256));
    store->generate_key("p384", "p384", KeyShape(KeyType::kEcP384, 384));
    store->generate_key("ed", "ed", KeyShape(KeyType::kEd25519, 256));
    store->generate_key("rsa", "rsa", 2048);
    TestDaemon::Options o;
    o.daemon_extra = "admin-uids = 0\n";
    o.sections.clear();
    for (const char* name : {"p256", "p384", "ed", "rsa"}) {
      o.sections += std::string("[key.") + name + "]\nlabel = " + name +
                    "\nallow-uids = " + std::to_string(::getuid()) + "\nschemes = raw\n";
    }
    daemon_ = std::make_unique<TestDaemon>(o, std::move(store));
    client_ = std::make_unique<Client>(daemon_->socket());
  }
  void TearDown() override {
    client_.reset();
    daemon_.reset();
    hsm_.reset();
  }

  // The key's public key as the daemon publishes it, in a file for openssl.
  std::string published_pem(const std::string& key) {
    auto res = client_->get("/v1/keys/" + key + "/public-key");
    EXPECT_EQ(res.result_int(), 200u) << res.body();
    const std::string path = dir_.file(key + ".pub.pem");
    write_file(path, res.body());
    return path;
  }

  Bytes sign(const std::string& key, const nlohmann::json& body) {
    auto res = client_->post("/v1/keys/" + key + "/sign", body.dump());
    EXPECT_EQ(res.result_int(), 200u) << res.body();
    return base64_decode(body_json(res).value("signature", std::string())).value_or(Bytes{});
  }

  // `openssl pkeyutl -verify` over the message itself: with the curve's digest for ECDSA (a DER
  // signature, which is what OpenSSL reads), without one for Ed25519.
  bool openssl_verifies(const std::string& key, const std::string& data, const Bytes& signature) {
    const std::string data_path = dir_.file("data.bin"), sig_path = dir_.file("sig.bin");
    write_file(data_path, data);
    write_file(sig_path, std::string(as_chars(signature)));
    const std::string digest = key == "p256"   ? " -digest sha256"
                               : key == "p384" ? " -digest sha384"
                                               : "";
    return runs("openssl pkeyutl -verify -pubin -inkey " + published_pem(key) + " -rawin" + digest +
                " -in " + data_path + " -sigfile " + sig_path);
  }

  std::unique_ptr<p11signd::testing::SoftHsm> hsm_;
  std::unique_ptr<TestDaemon> daemon_;
  std::unique_ptr<Client> client_;
  TempDir dir_;
};

TEST_F(TokenEcDaemonTest, ListingShowsTypeAndSize) {
  auto res = client_->get("/v1/keys");
  ASSERT_EQ(res.result_int(), 200u) << res.body();
  std::map<std::string, std::pair<std::string, unsigned>> seen;
  const auto body = body_json(res);  // kept: a range-for over a member of a temporary dangles
  for (const auto& k : body["keys"]) {
    seen[k["name"]] = {k["type"].get<std::string>(), k["bits"].get<unsigned>()};
  }
  EXPECT_EQ(seen["p256"], std::make_pair(std::string("EC P-256"), 256u));
  EXPECT_EQ(seen["p384"], std::make_pair(std::string("EC P-384"), 384u));
  EXPECT_EQ(seen["ed"], std::make_pair(std::string("Ed25519"), 256u));
  EXPECT_EQ(seen["rsa"], std::make_pair(std::string("RSA"), 2048u));
}

TEST_F(TokenEcDaemonTest, EcdsaSignaturesVerifyWithOpensslInBothFormats) {
  const std::string data = "amount=20.00&currency=EUR";
  for (const std::string key : {"p256", "p384"}) {
    const std::string alg = key == "p256" ? "ECDSA-SHA256" : "ECDSA-SHA384";
    const std::size_t half = key == "p256" ? 32 : 48;
    // DER is the default (as OpenSSL reads it); raw is r||s of the curve's size, as JWS sends it.
    const Bytes raw =
        sign(key, {{"alg", alg}, {"format", "raw"}, {"data", base64_encode(as_bytes(data))}});
    ASSERT_EQ(raw.size(), 2 * half) << key;
    const Bytes der = sign(key, {{"data", base64_encode(as_bytes(data))}});
    EXPECT_TRUE(ecdsa_der_to_raw(der, half)) << key;
    EXPECT_TRUE(openssl_verifies(key, data, der)) << key;
    EXPECT_TRUE(openssl_verifies(key, data, *ecdsa_raw_to_der(raw))) << key;
    EXPECT_FALSE(openssl_verifies(key, data + ".", der)) << key;
    // The daemon's own verification agrees, and tells the two formats apart.
    for (const auto& [format, sig] : {std::pair{"raw", raw}, {"der", der}}) {
      auto res = client_->post("/v1/keys/" + key + "/verify",
                               nlohmann::json({{"alg", alg},
                                               {"format", format},
                                               {"data", base64_encode(as_bytes(data))},
                                               {"signature", base64_encode(sig)}})
                                   .dump());
      ASSERT_EQ(res.result_int(), 200u) << res.body();
      EXPECT_EQ(body_json(res)["valid"], true) << key << " " << format;
    }
    auto wrong_format = client_->post("/v1/keys/" + key + "/verify",
                                      nlohmann::json({{"alg", alg},
                                                      {"format", "raw"},
                                                      {"data", base64_encode(as_bytes(data))},
                                                      {"signature", base64_encode(der)}})
                                          .dump());
    EXPECT_EQ(body_json(wrong_format)["valid"], false) << wrong_format.body();
  }
}

TEST_F(TokenEcDaemonTest, Ed25519SignaturesVerifyWithOpenssl) {
  const std::string data = "pure Ed25519: the message itself";
  const Bytes sig = sign("ed", {{"alg", "Ed25519"}, {"data", base64_encode(as_bytes(data))}});
  ASSERT_EQ(sig.size(), 64u);
  EXPECT_TRUE(openssl_verifies("ed", data, sig));
  EXPECT_FALSE(openssl_verifies("ed", data + ".", sig));
}

TEST_F(TokenEcDaemonTest, RsaPssSha512VerifiesWithOpenssl) {
  const std::string data = "rsa-pss-sha512";
  const Bytes sig =
      sign("rsa", {{"alg", "RSA-PSS-SHA512"}, {"data", base64_encode(as_bytes(data))}});
  const std::string data_path = dir_.file("data.bin"), sig_path = dir_.file("sig.bin");
  write_file(data_path, data);
  write_file(sig_path, std::string(as_chars(sig)));
  EXPECT_TRUE(
      runs("openssl dgst -sha512 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:64 "
           "-sigopt rsa_mgf1_md:sha512 -verify " +
           published_pem("rsa") + " -signature " + sig_path + " " + data_path));
}

TEST_F(TokenEcDaemonTest, AnAlgorithmTheKeyCannotMakeIs422NamingTheKeyType) {
  const std::string data = base64_encode(as_bytes("x"));
  for (const auto& [key, alg, type] : {std::tuple{"p256", "RSA-SHA256", "EC P-256"},
                                       {"p256", "ECDSA-SHA384", "EC P-256"},
                                       {"ed", "ECDSA-SHA256", "Ed25519"},
                                       {"rsa", "Ed25519", "RSA"}}) {
    for (const char* route : {"/sign", "/verify"}) {
      nlohmann::json body = {{"alg", alg}, {"data", data}};
      if (std::string(route) == "/verify") body["signature"] = data;
      auto res = client_->post(std::string("/v1/keys/") + key + route, body.dump());
      EXPECT_EQ(res.result_int(), 422u) << res.body();
      EXPECT_NE(res.body().find(type), std::string::npos) << res.body();
      EXPECT_NE(res.body().find(alg), std::string::npos) << res.body();
    }
  }
  auto format = client_->post("/v1/keys/rsa/sign",
                              nlohmann::json({{"format", "der"}, {"data", data}}).dump());
  EXPECT_EQ(format.result_int(), 422u) << format.body();
}

// x and y of the JWK rebuild exactly the published key.
TEST_F(TokenEcDaemonTest, JwkOfEcAndEd25519Keys) {
  for (const std::string key : {"p256", "p384", "ed"}) {
    auto der_res = client_->get("/v1/keys/" + key + "/public-key?format=der-base64");
    const Bytes spki = *base64_decode(body_json(der_res)["public_key"].get<std::string>());
    auto res = client_->get("/v1/keys/" + key + "/public-key?format=jwk");
    ASSERT_EQ(res.result_int(), 200u) << res.body();
    const auto jwk = body_json(res);
    auto pkey = pkey_from_spki(spki);
    if (key == "ed") {
      EXPECT_EQ(jwk["kty"], "OKP");
      EXPECT_EQ(jwk["crv"], "Ed25519");
      Bytes x(32);
      std::size_t len = x.size();
      ASSERT_EQ(EVP_PKEY_get_raw_public_key(pkey.get(), x.data(), &len), 1);
      EXPECT_EQ(jwk["x"], base64url_encode(x));
      continue;
    }
    EXPECT_EQ(jwk["kty"], "EC");
    EXPECT_EQ(jwk["crv"], key == "p256" ? "P-256" : "P-384");
    Bytes point(key == "p256" ? 65 : 97);
    std::size_t len = 0;
    ASSERT_EQ(EVP_PKEY_get_octet_string_param(pkey.get(), OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                              point.data(), point.size(), &len),
              1);
    Bytes rebuilt = {0x04};
    for (const char* coordinate : {"x", "y"}) {
      const Bytes c = *base64url_decode(jwk[coordinate].get<std::string>());
      rebuilt.insert(rebuilt.end(), c.begin(), c.end());
    }
    EXPECT_EQ(rebuilt, point) << key;
    EXPECT_EQ(jwk["kid"], sha256_hex(spki)) << "the key's fingerprint";
  }
}

TEST_F(TokenEcDaemonTest, CertificatesAndRequestsVerifyWithOpenssl) {
  if (geteuid() != 0) GTEST_SKIP() << "the test config names uid 0 as admin";
  for (const std::string key : kKeys) {
    auto cert = client_->post("/v1/keys/" + key + "/certificate", R"({"subject":"CN=ec.example"})");
    ASSERT_EQ(cert.result_int(), 201u) << cert.body();
    const std::string cert_path = dir_.file(key + ".crt");
    write_file(cert_path, cert.body());
    EXPECT_TRUE(runs("openssl verify -CAfile " + cert_path + " " + cert_path)) << key;
    // The certificate's key is the one the daemon publishes.
    EXPECT_TRUE(
        runs("openssl x509 -in " + cert_path + " -noout -pubkey | cmp -s - " + published_pem(key)))
        << key;
    auto csr = client_->post("/v1/keys/" + key + "/csr", R"({"subject":"CN=ec.example"})");
    ASSERT_EQ(csr.result_int(), 200u) << csr.body();
    const std::string csr_path = dir_.file(key + ".csr");
    write_file(csr_path, csr.body());
    EXPECT_TRUE(runs("openssl req -verify -noout -in " + csr_path)) << key;
  }
}

TEST_F(TokenEcDaemonTest, AdminKeygenMakesEveryKeyType) {
  if (geteuid() != 0) GTEST_SKIP() << "the test config names uid 0 as admin";
  for (const auto& [name, type, listed, bits] :
       {std::tuple{"made-p256", "ec:P-256", "EC P-256", 256u},
        {"made-p384", "ec:P-384", "EC P-384", 384u},
        {"made-ed", "ed25519", "Ed25519", 256u},
        {"made-rsa", "rsa:3072", "RSA", 3072u}}) {
    auto made = client_->post("/v1/keys", nlohmann::json({{"name", name}, {"type", type}}).dump());
    ASSERT_EQ(made.result_int(), 201u) << made.body();
    EXPECT_EQ(body_json(made)["key"]["type"], listed);
    EXPECT_EQ(body_json(made)["key"]["bits"], bits);
  }
  auto bits = client_->post("/v1/keys", R"({"name":"x","type":"ed25519","bits":2048})");
  EXPECT_EQ(bits.result_int(), 422u) << bits.body();
  auto unknown = client_->post("/v1/keys", R"({"name":"x","type":"ec:P-521"})");
  EXPECT_EQ(unknown.result_int(), 422u) << unknown.body();
  EXPECT_NE(unknown.body().find("ec:P-256"), std::string::npos) << unknown.body();
}

}  // namespace
}  // namespace p11signd::daemon
