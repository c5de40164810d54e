// p11sign key rotate|activate|retire|destroy|versions|set against a fake daemon: the request each
// sends, the table each prints, and the usage errors refused before any request.

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
using ::testing::SizeIs;
using Json = nlohmann::json;

constexpr const char* kListing =
    R"({"key":"shop","versions":[
      {"version":1,"state":"retiring","type":"rsa","bits":2048,"fingerprint_sha256":"aaaabbbbccccddddeeee",
       "created":null,"kid":"shop","settings":{},"certificate":null},
      {"version":2,"state":"active","type":"rsa","bits":3072,"fingerprint_sha256":"1111222233334444",
       "created":"2026-12-06T07:55:00Z","kid":"shop-v2","settings":{},
       "certificate":{"subject":"CN=shop","not_after":"2027-12-06T00:00:00Z"}}]})";

class KeyCommandTest : public ::testing::Test {
 protected:
  void SetUp() override { daemon_.respond({200, kListing}); }
  RunResult run(std::vector<std::string> args) {
    args.insert(args.begin(), {"--socket", daemon_.socket_path()});
    return run_p11sign(args);
  }
  void expect_usage_error(const std::vector<std::string>& args, const std::string& message) {
    const RunResult r = run(args);
    EXPECT_EQ(r.exit_code, 2) << ::testing::PrintToString(args) << r.err;
    EXPECT_THAT(r.err, HasSubstr(message)) << ::testing::PrintToString(args);
    EXPECT_THAT(r.err, HasSubstr("usage: p11sign [--socket PATH] key "));
  }

  FakeDaemon daemon_;
};

TEST_F(KeyCommandTest, VersionsPrintsTheTable) {
  const RunResult r = run({"key", "versions", "shop"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const RecordedRequest req = daemon_.only_request();
  EXPECT_EQ(req.method, "GET");
  EXPECT_EQ(req.target, "/v1/keys/shop/versions");
  EXPECT_THAT(r.out, HasSubstr("VERSION  STATE     TYPE      FINGERPRINT"));
  EXPECT_THAT(r.out, HasSubstr("2        active    RSA-3072  1111222233334444  2026-12-06T07:55:00Z"
                               "  shop-v2  2027-12-06T00:00:00Z\n"));
}

TEST_F(KeyCommandTest, JsonPrintsTheAnswerAsItCame) {
  const RunResult r = run({"key", "versions", "shop", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Json::parse(r.out), Json::parse(kListing));
}

TEST_F(KeyCommandTest, RotateSendsTheShapeAsked) {
  EXPECT_EQ(run({"key", "rotate", "shop"}).exit_code, 0);
  EXPECT_EQ(run({"key", "rotate", "shop", "--type", "ec", "--curve", "P-256"}).exit_code, 0);
  EXPECT_EQ(run({"key", "rotate", "shop", "--bits", "3072"}).exit_code, 0);
  const auto requests = daemon_.requests();
  ASSERT_THAT(requests, SizeIs(3));
  for (const RecordedRequest& req : requests) {
    EXPECT_EQ(req.method, "POST");
    EXPECT_EQ(req.target, "/v1/keys/shop/versions");
  }
  EXPECT_EQ(Json::parse(requests[0].body), Json::object());
  EXPECT_EQ(Json::parse(requests[1].body), Json({{"type", "ec"}, {"curve", "P-256"}}));
  EXPECT_EQ(Json::parse(requests[2].body), Json({{"type", "rsa"}, {"bits", 3072}}));
}

TEST_F(KeyCommandTest, RotateImportSendsThePem) {
  const std::string pem =
      "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n";
  const std::string path = daemon_.dir() + "/next.pem";
  std::ofstream(path) << pem;
  const RunResult r = run({"key", "rotate", "shop", "--import", path});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Json::parse(daemon_.only_request().body), Json({{"pem", pem}}));
  EXPECT_THAT(r.out, Not(HasSubstr("PRIVATE KEY")));
}

TEST_F(KeyCommandTest, StateChangesNameTheVersionInThePath) {
  EXPECT_EQ(run({"key", "activate", "shop", "2"}).exit_code, 0);
  EXPECT_EQ(run({"key", "retire", "shop", "1"}).exit_code, 0);
  EXPECT_EQ(run({"key", "destroy", "shop", "1", "--yes"}).exit_code, 0);
  const auto requests = daemon_.requests();
  ASSERT_THAT(requests, SizeIs(3));
  EXPECT_EQ(requests[0].method + " " + requests[0].target,
            "POST /v1/keys/shop/versions/2/activate");
  EXPECT_EQ(requests[1].method + " " + requests[1].target, "POST /v1/keys/shop/versions/1/retire");
  EXPECT_EQ(requests[2].method + " " + requests[2].target, "DELETE /v1/keys/shop/versions/1");
  EXPECT_EQ(Json::parse(requests[2].body), Json({{"confirm", true}}));
}

// The route replaces a version's settings: set reads them first and changes only those it names.
TEST_F(KeyCommandTest, SetChangesTheNamedSettingsAndKeepsTheOthers) {
  Json listing = Json::parse(kListing);
  listing["versions"][1]["settings"] = {{"mypos.key-index", "2"}, {"jws.kid", "old"}};
  daemon_.respond({200, listing.dump()});
  const RunResult r =
      run({"key", "set", "shop", "2", "amazonpay.public-key-id=SANDBOX-AB12", "jws.kid="});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto requests = daemon_.requests();
  ASSERT_THAT(requests, SizeIs(2));
  EXPECT_EQ(requests[0].method + " " + requests[0].target, "GET /v1/keys/shop/versions");
  EXPECT_EQ(requests[1].method + " " + requests[1].target, "PUT /v1/keys/shop/versions/2/settings");
  EXPECT_EQ(Json::parse(requests[1].body), Json::parse(R"({"settings":{"mypos.key-index":"2",
                                        "amazonpay.public-key-id":"SANDBOX-AB12"}})"));
}

TEST_F(KeyCommandTest, SetOnAVersionTheKeyDoesNotHaveSendsNothing) {
  const RunResult r = run({"key", "set", "shop", "7", "jws.kid=x"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("key 'shop' has no version 7"));
  EXPECT_THAT(daemon_.requests(), SizeIs(1));  // the listing only
}

TEST_F(KeyCommandTest, UsageErrorsAreRefusedBeforeAnyRequest) {
  expect_usage_error({"key", "destroy", "shop", "1"}, "add --yes to confirm");
  expect_usage_error({"key", "activate", "shop", "two"}, "VERSION must be a version number");
  expect_usage_error({"key", "retire", "shop"}, "missing VERSION");
  expect_usage_error({"key", "set", "shop", "2", "jws.kid"}, "'jws.kid' is not SETTING=VALUE");
  expect_usage_error({"key", "set", "shop", "x", "a=b"}, "VERSION must be a version number");
  expect_usage_error({"key", "rotate", "shop", "--bits", "1024"}, "--bits: 2048, 3072 or 4096");
  expect_usage_error({"key", "rotate", "shop", "--import", "k.pem", "--type", "ec"},
                     "--import takes the key's type and size from KEY.pem");
  expect_usage_error({"key", "versions"}, "missing NAME");
  expect_usage_error({"key", "rotat", "shop"},
                     "unknown key command 'rotat' (did you mean 'rotate'?)");
  EXPECT_EQ(run({"key"}).exit_code, 2);
  EXPECT_THAT(daemon_.requests(), IsEmpty());
}

TEST_F(KeyCommandTest, TheDaemonsRefusalIsExitStatusOne) {
  daemon_.respond(
      {409,
       R"({"error":{"code":"conflict","message":"version 2 is active: activate another version first"}})"});
  const RunResult r = run({"key", "retire", "shop", "2"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("p11sign: 409 conflict: version 2 is active"));
}

}  // namespace
}  // namespace p11signd::cli::testing
