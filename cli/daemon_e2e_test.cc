// End to end: the real p11sign binary against the real daemon (server, routes, ACLs, audit) running
// in this process over the daemon's fake keystore. Catches any drift between the client and the
// daemon's routes and answer shapes that the fake-daemon tests cannot see. Signatures are checked
// with OpenSSL.

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/testing/run_p11sign.h"
#include "common/encoding.h"
#include "common/openssl_ptr.h"
#include "common/public_key.h"
#include "daemon/testing/test_support.h"

namespace p11signd::cli::testing {
namespace {

using daemon::testing::TestDaemon;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using Json = nlohmann::json;

// The keys allow the uid running the tests (root in CI, anyone on a laptop); "restricted" allows
// nobody.
TestDaemon::Options options_for_this_user() {
  const std::string uid = std::to_string(::getuid());
  TestDaemon::Options o;
  o.daemon_extra = "admin-uids = " + uid + "\n";
  o.sections = "[key.demo]\nlabel = demo\nallow-uids = " + uid +
               "\nschemes = raw, jws\n"
               "[key.restricted]\nlabel = restricted\nallow-uids = 4242\nschemes = raw\n";
  return o;
}

bool verifies(EVP_PKEY* key, const std::string& data, const std::string& signature_b64, bool pss) {
  const auto sig = base64_decode(signature_b64);
  if (!sig) return false;
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (EVP_DigestVerifyInit(ctx.get(), &pctx, EVP_sha256(), nullptr, key) != 1) return false;
  if (pss) EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
  return EVP_DigestVerify(ctx.get(), sig->data(), sig->size(),
                          reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
}

std::string public_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PUBKEY(bio.get(), key);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

// The DER SubjectPublicKeyInfo of a PEM public key, read by OpenSSL.
Bytes spki_of_pem(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  EvpPkeyPtr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  return key ? spki_der(key.get()) : Bytes{};
}

// The STATE column of a version's row in `p11sign key versions`' table ("" when it has none).
std::string state_in_table(const std::string& table, unsigned version) {
  std::istringstream lines(table);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string number, state;
    words >> number >> state;
    if (number == std::to_string(version)) return state;
  }
  return "";
}

class DaemonE2eTest : public ::testing::Test {
 protected:
  RunResult run(std::vector<std::string> args, const RunOptions& options = {}) {
    args.insert(args.begin(), {"--socket", daemon_.socket()});
    return run_p11sign(args, options);
  }
  std::string trimmed(std::string s) {
    while (!s.empty() && s.back() == '\n') s.pop_back();
    return s;
  }

  TestDaemon daemon_{options_for_this_user()};
};

TEST_F(DaemonE2eTest, HealthAndKeys) {
  const RunResult health = run({"health"});
  ASSERT_EQ(health.exit_code, 0) << health.err;
  EXPECT_EQ(Json::parse(health.out)["status"], "ok");
  const RunResult keys = run({"keys"});
  ASSERT_EQ(keys.exit_code, 0) << keys.err;
  EXPECT_THAT(keys.out, HasSubstr("\"name\": \"demo\""));
}

TEST_F(DaemonE2eTest, SignaturesVerifyWithTheKeysPublicKey) {
  const std::string data("order 42\0amount 10.00\n", 22);
  const RunResult pkcs1 = run({"sign", "demo"}, with_stdin(data));
  ASSERT_EQ(pkcs1.exit_code, 0) << pkcs1.err;
  EXPECT_TRUE(verifies(daemon_.store().public_key("demo").get(), data, trimmed(pkcs1.out), false));
  const RunResult pss = run({"sign", "demo", "--alg", "RSA-PSS-SHA256"}, with_stdin(data));
  ASSERT_EQ(pss.exit_code, 0) << pss.err;
  EXPECT_TRUE(verifies(daemon_.store().public_key("demo").get(), data, trimmed(pss.out), true));

  EXPECT_EQ(run({"verify", "demo", "--signature", trimmed(pkcs1.out)}, with_stdin(data)).exit_code,
            0);
  EXPECT_EQ(
      run({"verify", "demo", "--signature", trimmed(pkcs1.out)}, with_stdin("other")).exit_code, 1);
}

TEST_F(DaemonE2eTest, PublicKeyInEveryFormat) {
  const RunResult pem = run({"public-key", "demo"});
  ASSERT_EQ(pem.exit_code, 0) << pem.err;
  EXPECT_EQ(pem.out, public_pem(daemon_.store().public_key("demo").get()));
  const RunResult der = run({"public-key", "demo", "--format", "der-base64"});
  ASSERT_EQ(der.exit_code, 0) << der.err;
  EXPECT_THAT(der.out, StartsWith("MIIB"));
  EXPECT_EQ(der.out.find('\n'), der.out.size() - 1);
  const RunResult jwk = run({"public-key", "demo", "--format", "jwk"});
  ASSERT_EQ(jwk.exit_code, 0) << jwk.err;
  EXPECT_EQ(Json::parse(jwk.out)["kty"], "RSA");
}

TEST_F(DaemonE2eTest, RefusalsCarryTheDaemonsMessage) {
  const RunResult denied = run({"sign", "restricted"}, with_stdin("x"));
  EXPECT_EQ(denied.exit_code, 1);
  EXPECT_THAT(denied.err, StartsWith("p11sign: 403 "));
  EXPECT_THAT(denied.err, HasSubstr("restricted"));
  const RunResult unknown = run({"sign", "nosuchkey"}, with_stdin("x"));
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, StartsWith("p11sign: 404 "));
}

// A rotation through the client, step by step, against the daemon's own routes: the table after
// each step, refusals as exit status 1 with the daemon's message, and signatures by the version
// that is active.
TEST_F(DaemonE2eTest, RotationThroughTheClient) {
  const auto signed_by_active = [this] {
    const RunResult sig = run({"sign", "demo"}, with_stdin("rotate me"));
    const RunResult pem = run({"public-key", "demo"});
    const auto signature = base64_decode(trimmed(sig.out));
    return sig.exit_code == 0 && signature &&
           verify_signature(spki_of_pem(pem.out), SignRequest{}, as_bytes("rotate me"), *signature);
  };
  RunResult r = run({"key", "versions", "demo"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("VERSION  STATE "));
  EXPECT_EQ(state_in_table(r.out, 1), "active");
  EXPECT_THAT(r.out, HasSubstr("RSA-2048"));
  const std::string first_pem = run({"public-key", "demo"}).out;

  r = run({"key", "rotate", "demo"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(state_in_table(r.out, 2), "pending");
  EXPECT_EQ(run({"public-key", "demo"}).out, first_pem);  // a pending version never signs
  const std::string second_pem = run({"public-key", "demo", "--version", "2"}).out;
  EXPECT_THAT(second_pem, StartsWith("-----BEGIN PUBLIC KEY-----"));
  EXPECT_NE(second_pem, first_pem);
  EXPECT_EQ(run({"public-key", "demo", "--version", "1"}).out, first_pem);
  EXPECT_EQ(run({"csr", "demo", "--subject", "CN=next", "--version", "2"}).exit_code, 0);
  r = run({"certificate", "demo", "--self-sign", "--subject", "CN=next", "--version", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(run({"certificate", "demo", "--version", "2"}).out, r.out);
  EXPECT_EQ(run({"certificate", "demo"}).exit_code, 1);  // version 1 has none
  EXPECT_EQ(run({"public-key", "demo", "--version", "two"}).exit_code, 2);
  r = run({"key", "set", "demo", "2", "jws.kid=demo-2027"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("demo-2027"));
  r = run({"key", "set", "demo", "2", "nosuch.setting=x"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("nosuch.setting"));

  r = run({"key", "activate", "demo", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(state_in_table(r.out, 1), "retiring");
  EXPECT_EQ(state_in_table(r.out, 2), "active");
  EXPECT_EQ(run({"public-key", "demo"}).out, second_pem);
  EXPECT_TRUE(signed_by_active());

  r = run({"key", "destroy", "demo", "1", "--yes"});
  EXPECT_EQ(r.exit_code, 1);  // retiring, not retired
  EXPECT_THAT(r.err, HasSubstr("409 conflict"));
  r = run({"key", "retire", "demo", "2"});
  EXPECT_EQ(r.exit_code, 1);  // the active one
  ASSERT_EQ(run({"key", "retire", "demo", "1"}).exit_code, 0);
  r = run({"key", "destroy", "demo", "1", "--yes"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(state_in_table(r.out, 1), "");
  EXPECT_EQ(state_in_table(r.out, 2), "active");
  r = run({"key", "versions", "demo", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Json listing = Json::parse(r.out);
  ASSERT_EQ(listing["versions"].size(), 1u);
  EXPECT_EQ(listing["versions"][0]["settings"], Json({{"jws.kid", "demo-2027"}}));
  EXPECT_TRUE(signed_by_active());
}

TEST_F(DaemonE2eTest, CertificateLifecycle) {
  EXPECT_EQ(run({"certificate", "demo"}).exit_code, 1);
  const RunResult made =
      run({"certificate", "demo", "--self-sign", "--subject", "CN=e2e", "--days", "10"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  EXPECT_THAT(made.out, StartsWith("-----BEGIN CERTIFICATE-----"));
  const RunResult stored = run({"certificate", "demo"});
  ASSERT_EQ(stored.exit_code, 0) << stored.err;
  EXPECT_EQ(stored.out, made.out);
  const RunResult csr = run({"csr", "demo", "--subject", "CN=e2e"});
  ASSERT_EQ(csr.exit_code, 0) << csr.err;
  EXPECT_THAT(csr.out, StartsWith("-----BEGIN CERTIFICATE REQUEST-----"));
}

// A key made through the API signs for no scheme until the configuration names it.
void configure(TestDaemon& daemon, const std::string& name) {
  const TestDaemon::Options o = options_for_this_user();
  daemon.write_config(o.sections + "[key." + name + "]\nlabel = " + name +
                          "\nallow-uids = " + std::to_string(::getuid()) + "\nschemes = raw\n",
                      o.daemon_extra);
  ASSERT_TRUE(daemon.daemon().reload_now().empty());
}

TEST_F(DaemonE2eTest, KeygenThenSign) {
  const RunResult made = run({"keygen", "fresh", "--bits", "2048"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  EXPECT_THAT(made.out, StartsWith("# RSA-2048 key 'fresh', SHA-256 fingerprint "));
  EXPECT_THAT(made.out, HasSubstr("\n[key.fresh]\nlabel = fresh\n"));
  EXPECT_NE(run({"sign", "fresh"}, with_stdin("hello")).exit_code, 0);
  configure(daemon_, "fresh");
  const RunResult sig = run({"sign", "fresh"}, with_stdin("hello"));
  ASSERT_EQ(sig.exit_code, 0) << sig.err;
  EXPECT_TRUE(
      verifies(daemon_.store().public_key("fresh").get(), "hello", trimmed(sig.out), false));
}

// EC and Ed25519 keys through the client: made by keygen, signing in both ECDSA formats and
// verifying, their JWK and certificate; every signature checked by OpenSSL with the published key.
TEST_F(DaemonE2eTest, EllipticCurveKeysEndToEnd) {
  for (const auto& [name, type, alg, jwk_kty] :
       {std::tuple{"shop-p256", "ec:P-256", SignAlg::kEcdsaSha256, "EC"},
        {"shop-p384", "ec:P-384", SignAlg::kEcdsaSha384, "EC"},
        {"shop-ed", "ed25519", SignAlg::kEd25519, "OKP"}}) {
    const RunResult made = run({"keygen", name, "--type", type});
    ASSERT_EQ(made.exit_code, 0) << made.err;
    configure(daemon_, name);
    const RunResult pem = run({"public-key", name});
    ASSERT_EQ(pem.exit_code, 0) << pem.err;
    const auto spki = spki_of_pem(pem.out);
    const std::string data = "order 42";
    std::vector<std::pair<std::string, EcdsaEncoding>> formats = {{"raw", EcdsaEncoding::kRaw}};
    if (alg != SignAlg::kEd25519) formats.push_back({"der", EcdsaEncoding::kDer});
    for (const auto& [format, encoding] : formats) {
      std::vector<std::string> args = {"sign", name};
      if (alg != SignAlg::kEd25519) args.insert(args.end(), {"--format", format});
      const RunResult sig = run(args, with_stdin(data));
      ASSERT_EQ(sig.exit_code, 0) << sig.err;
      const SignRequest req{alg, 0, encoding};
      EXPECT_TRUE(verify_signature(spki, req, as_bytes(data), *base64_decode(trimmed(sig.out))))
          << name << " " << format;
      args = {"verify", name, "--signature", trimmed(sig.out)};
      if (alg != SignAlg::kEd25519) args.insert(args.end(), {"--format", format});
      EXPECT_EQ(run(args, with_stdin(data)).exit_code, 0) << name << " " << format;
      EXPECT_EQ(run(args, with_stdin("order 43")).exit_code, 1) << name << " " << format;
    }
    const RunResult rsa = run({"sign", name, "--alg", "RSA-SHA256"}, with_stdin(data));
    EXPECT_EQ(rsa.exit_code, 1);
    EXPECT_THAT(rsa.err, HasSubstr("cannot make RSA-SHA256"));
    const RunResult jwk = run({"public-key", name, "--format", "jwk"});
    ASSERT_EQ(jwk.exit_code, 0) << jwk.err;
    EXPECT_EQ(Json::parse(jwk.out)["kty"], jwk_kty);
    const RunResult cert =
        run({"certificate", name, "--self-sign", "--subject", "CN=" + std::string(name)});
    ASSERT_EQ(cert.exit_code, 0) << cert.err;
    EXPECT_THAT(cert.out, StartsWith("-----BEGIN CERTIFICATE-----"));
  }
}

TEST_F(DaemonE2eTest, ImportThenSignWithTheImportedKey) {
  const daemon::SharedEvpPkey key = daemon::testing::shared_key(3);
  const std::string path =
      ::testing::TempDir() + "/p11sign-e2e-" + std::to_string(::getpid()) + ".pem";
  {
    std::unique_ptr<FILE, decltype(&fclose)> f(fopen(path.c_str(), "w"), fclose);
    ASSERT_TRUE(f);
    PEM_write_PrivateKey(f.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  }
  const RunResult imported = run({"import", "brought", "--in", path, "--label", "brought"});
  std::remove(path.c_str());
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  EXPECT_THAT(imported.out, ::testing::Not(HasSubstr("PRIVATE KEY")));
  EXPECT_NE(run({"sign", "brought"}, with_stdin("hello")).exit_code, 0);
  configure(daemon_, "brought");
  const RunResult sig = run({"sign", "brought"}, with_stdin("hello"));
  ASSERT_EQ(sig.exit_code, 0) << sig.err;
  EXPECT_TRUE(verifies(key.get(), "hello", trimmed(sig.out), false));
}

TEST_F(DaemonE2eTest, BenchCountsEverySignature) {
  const RunResult r = run({"bench", "demo", "--count", "30", "--concurrency", "3", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Json::parse(r.out)["signatures"], 30);
  EXPECT_EQ(daemon_.store().sign_count(), 30u);
}

TEST_F(DaemonE2eTest, SchemeSign) {
  const RunResult r = run({"scheme", "jws", "sign"},
                          with_stdin(R"({"key":"demo","alg":"RS256","payload":{"a":1}})"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Json::parse(r.out).contains("jws"));
}

// Every scheme, through the client: p11sign sends the input as written and prints the daemon's
// answer; each answer has the field an application sends on to the provider.
TEST(DaemonE2eSchemes, EverySchemeSignsThroughTheClient) {
  daemon::testing::TempDir dir;
  std::ofstream(dir.file("merchant-key")) << "MK-1\n";
  TestDaemon::Options o;
  o.sections = "[key.shop]\nlabel = second\nallow-uids = " + std::to_string(::getuid()) +
               "\nschemes = mypos, swifood, carat, jws, amazonpay, alipay, wechatpay, ob-jws,"
               " client-assertion\n"
               "mypos.sid = 1\nmypos.wallet-number = 2\nmypos.key-index = 3\n"
               "swifood.app-id = a\nswifood.store-key = s\ncarat.merchant-id = m\n"
               "carat.merchant-key-file = " +
               dir.file("merchant-key") +
               "\namazonpay.public-key-id = P\namazonpay.region = eu\nalipay.app-id = 1\n"
               "wechatpay.mchid = 1\nwechatpay.serial-no = S\nob-jws.kid = K\nob-jws.iss = I\n"
               "client-assertion.client-id = C\nclient-assertion.audience = https://as.example\n";
  TestDaemon daemon(o);
  const std::vector<std::tuple<std::string, std::string, std::string>> cases = {
      {"mypos", R"({"key":"shop","fields":[["IPCmethod","IPCPurchase"],["Amount","1.00"]]})",
       "form"},
      {"swifood", R"({"key":"shop","param":"{\"a\":1}"})", "sign"},
      {"carat", R"({"key":"shop","claims":{"order_id":"1"}})", "authorization"},
      {"jws", R"({"key":"shop","alg":"PS256","payload":{"a":1}})", "jws"},
      {"amazonpay", R"({"key":"shop","method":"GET","url":"/v2/checkoutSessions/1"})", "headers"},
      {"alipay", R"({"key":"shop","params":{"method":"alipay.trade.query"}})", "sign"},
      {"wechatpay", R"({"key":"shop","method":"GET","url":"/v3/certificates"})", "authorization"},
      {"ob-jws", R"({"key":"shop","body":"{\"Data\":{}}"})", "x-jws-signature"},
      {"client-assertion", R"({"key":"shop"})", "client_assertion"},
  };
  for (const auto& [scheme, input, field] : cases) {
    const RunResult r =
        run_p11sign({"--socket", daemon.socket(), "scheme", scheme, "sign"}, with_stdin(input));
    ASSERT_EQ(r.exit_code, 0) << scheme << ": " << r.err;
    EXPECT_TRUE(Json::parse(r.out).contains(field)) << scheme << ": " << r.out;
  }
  // A missing field is the daemon's 400 naming it, printed by the client with a non-zero status.
  const RunResult bad = run_p11sign({"--socket", daemon.socket(), "scheme", "swifood", "sign"},
                                    with_stdin(R"({"key":"shop"})"));
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_THAT(bad.err, HasSubstr("param"));
}

}  // namespace
}  // namespace p11signd::cli::testing
