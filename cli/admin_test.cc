// The admin commands (keygen, import, self-signed certificate, csr) against a fake daemon.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/testing/fake_daemon.h"
#include "cli/testing/run_p11sign.h"

namespace p11signd::cli::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using Json = nlohmann::json;

constexpr const char* kPem =
    "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n";
constexpr const char* kCertificate =
    "-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n";

class AdminTest : public ::testing::Test {
 protected:
  RunResult run(std::vector<std::string> args) {
    args.insert(args.begin(), {"--socket", daemon_.socket_path()});
    return run_p11sign(args);
  }
  std::string write_file(const std::string& name, const std::string& content) {
    const std::string path = daemon_.dir() + "/" + name;
    std::ofstream(path) << content;
    return path;
  }

  FakeDaemon daemon_;
};

TEST_F(AdminTest, KeygenLabelDefaultsToTheName) {
  daemon_.respond({201, R"({"name":"store2","label":"store2","bits":3072})"});
  const RunResult r = run({"keygen", "store2", "--bits", "3072"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const RecordedRequest req = daemon_.only_request();
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.target, "/v1/keys");
  EXPECT_EQ(Json::parse(req.body), Json({{"name", "store2"}, {"label", "store2"}, {"bits", 3072}}));
  EXPECT_THAT(r.out, HasSubstr("\"bits\": 3072"));
}

TEST_F(AdminTest, KeygenSendsTheKeyTypeAndRefusesBitsForCurves) {
  daemon_.respond(
      {201, R"({"key":{"name":"ec","type":"EC P-256","bits":256},"config":"[key.ec]\n"})"});
  const RunResult r = run({"keygen", "ec", "--type", "ec:P-256"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Json::parse(daemon_.only_request().body),
            Json({{"name", "ec"}, {"label", "ec"}, {"type", "ec:P-256"}}));
  EXPECT_THAT(r.out, HasSubstr("# EC P-256 key 'ec'"));
  const RunResult bits = run({"keygen", "ed", "--type", "ed25519", "--bits", "2048"});
  EXPECT_EQ(bits.exit_code, 2);
  EXPECT_THAT(bits.err, HasSubstr("--bits is for RSA keys"));
  const RunResult unknown = run({"keygen", "x", "--type", "ec:P-521"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_THAT(unknown.err, HasSubstr("--type: rsa, rsa:2048"));
}

// The section goes to standard output as it would stand in p11signd.conf, what to do with it to
// standard error; --json gives the daemon's answer.
TEST_F(AdminTest, KeygenPrintsTheConfigurationSectionAsText) {
  const std::string section =
      "[key.store2]\nlabel = store2\nallow-uids =\nallow-groups =\nschemes = raw\n";
  const Json key = {{"name", "store2"}, {"bits", 2048}, {"fingerprint_sha256", "3fa0"}};
  daemon_.respond({201, Json({{"key", key}, {"config", section}}).dump()});
  RunResult r = run({"keygen", "store2", "--bits", "2048"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const std::string comment = "# RSA-2048 key 'store2', SHA-256 fingerprint 3fa0\n";
  EXPECT_EQ(r.out, comment + section);
  EXPECT_THAT(r.err, HasSubstr("p11sign: key 'store2' is on the token"));
  EXPECT_THAT(r.err, HasSubstr("Add this section to the configuration"));
  r = run({"keygen", "store2", "--bits", "2048", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Json::parse(r.out)["config"], section);
  EXPECT_THAT(r.err, IsEmpty());
  const std::string pem = write_file("key.pem", kPem);
  r = run({"import", "store2", "--in", pem});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, comment + section);
}

TEST_F(AdminTest, KeygenWithLabel) {
  EXPECT_EQ(run({"keygen", "k", "--bits", "2048", "--label", "payments-k"}).exit_code, 0);
  EXPECT_EQ(Json::parse(daemon_.only_request().body)["label"], "payments-k");
}

TEST_F(AdminTest, KeygenNeedsBits) {
  const RunResult r = run({"keygen", "k"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("missing --bits"));
  EXPECT_THAT(r.err, HasSubstr("usage: p11sign [--socket PATH] keygen NAME --bits"));
  const RunResult not_a_number = run({"keygen", "k", "--bits", "many"});
  EXPECT_EQ(not_a_number.exit_code, 2);
  EXPECT_THAT(daemon_.requests(), IsEmpty());
}

// The usage lists the sizes; another one is the caller's mistake, caught before the daemon is
// asked.
TEST_F(AdminTest, KeygenRefusesASizeTheUsageDoesNotList) {
  for (const char* bits : {"1024", "2047", "8192", "0"}) {
    const RunResult r = run({"keygen", "k", "--bits", bits});
    EXPECT_EQ(r.exit_code, 2) << bits;
    EXPECT_THAT(r.err, HasSubstr("p11sign: --bits: 2048, 3072 or 4096, not " + std::string(bits)));
  }
  EXPECT_THAT(daemon_.requests(), IsEmpty());
}

TEST_F(AdminTest, KeygenRefusedForNonAdmin) {
  daemon_.respond(
      {403, R"({"error":{"code":"forbidden","message":"admin routes need admin-uids"}})"});
  const RunResult r = run({"keygen", "k", "--bits", "2048"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "p11sign: 403 forbidden: admin routes need admin-uids\n");
}

TEST_F(AdminTest, ImportSendsThePemAndNeverPrintsIt) {
  daemon_.respond({201, R"({"name":"old","label":"legacy","bits":2048})"});
  const std::string path = write_file("key.pem", kPem);
  const RunResult r = run({"import", "old", "--in", path, "--label", "legacy"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const RecordedRequest req = daemon_.only_request();
  EXPECT_EQ(req.target, "/v1/keys/import");
  EXPECT_EQ(req.content_type, "application/json");
  EXPECT_EQ(Json::parse(req.body), Json({{"name", "old"}, {"label", "legacy"}, {"pem", kPem}}));
  EXPECT_THAT(r.out + r.err, Not(HasSubstr("MIIEvQ")));
}

TEST_F(AdminTest, ImportRefusesAFileThatIsNotAPrivateKey) {
  const std::string path = write_file("cert.pem", kCertificate);
  const RunResult r = run({"import", "old", "--in", path});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "p11sign: " + path + ": not a PEM private key\n");
  EXPECT_THAT(daemon_.requests(), IsEmpty());
}

TEST_F(AdminTest, ImportNeedsIn) {
  EXPECT_EQ(run({"import", "old"}).exit_code, 2);
  EXPECT_THAT(daemon_.requests(), IsEmpty());
}

TEST_F(AdminTest, ShowCertificatePrintsPem) {
  daemon_.respond({200, kCertificate, "application/x-pem-file"});
  const RunResult r = run({"certificate", "demo"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, kCertificate);
  EXPECT_EQ(daemon_.only_request().method, "GET");
}

TEST_F(AdminTest, SelfSignPostsSubjectAndDays) {
  daemon_.respond({201, Json({{"certificate", kCertificate}}).dump()});
  const RunResult r = run(
      {"certificate", "demo", "--self-sign", "--subject", "CN=payments,O=Shop", "--days", "30"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, kCertificate);
  const RecordedRequest req = daemon_.only_request();
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.target, "/v1/keys/demo/certificate");
  EXPECT_EQ(Json::parse(req.body), Json({{"subject", "CN=payments,O=Shop"}, {"days", 30}}));
}

TEST_F(AdminTest, SelfSignDefaultsToAYear) {
  daemon_.respond({201, kCertificate, "application/x-pem-file"});
  EXPECT_EQ(run({"certificate", "demo", "--self-sign", "--subject", "CN=x"}).exit_code, 0);
  EXPECT_EQ(Json::parse(daemon_.only_request().body)["days"], 365);
}

TEST_F(AdminTest, SelfSignReplacesOnlyWithReplace) {
  daemon_.respond({201, kCertificate, "application/x-pem-file"});
  EXPECT_EQ(run({"certificate", "demo", "--self-sign", "--subject", "CN=x", "--replace"}).exit_code,
            0);
  EXPECT_EQ(Json::parse(daemon_.only_request().body)["replace"], true);
}

TEST_F(AdminTest, SelfSignArgumentsAreChecked) {
  EXPECT_EQ(run({"certificate", "demo", "--self-sign"}).exit_code, 2);
  EXPECT_EQ(run({"certificate", "demo", "--subject", "CN=x"}).exit_code, 2);
  EXPECT_EQ(run({"certificate", "demo", "--replace"}).exit_code, 2);
  EXPECT_EQ(
      run({"certificate", "demo", "--self-sign", "--subject", "CN=x", "--days", "0"}).exit_code, 2);
  EXPECT_THAT(daemon_.requests(), IsEmpty());
}

TEST_F(AdminTest, CsrPostsTheSubject) {
  const std::string csr =
      "-----BEGIN CERTIFICATE REQUEST-----\nMIIC\n-----END CERTIFICATE REQUEST-----\n";
  daemon_.respond({200, csr, "application/x-pem-file"});
  const RunResult r = run({"csr", "demo", "--subject", "CN=store1"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, csr);
  const RecordedRequest req = daemon_.only_request();
  EXPECT_EQ(req.target, "/v1/keys/demo/csr");
  EXPECT_EQ(Json::parse(req.body), Json({{"subject", "CN=store1"}}));
}

TEST_F(AdminTest, CsrNeedsSubject) {
  EXPECT_EQ(run({"csr", "demo"}).exit_code, 2);
  EXPECT_THAT(daemon_.requests(), IsEmpty());
}

}  // namespace
}  // namespace p11signd::cli::testing
