// The table `p11sign key versions` prints from the daemon's listing.

#include "cli/versions_table.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli/errors.h"

namespace p11signd::cli {
namespace {

using Json = nlohmann::ordered_json;

TEST(VersionsTable, OneAlignedLinePerVersionWithDashesForWhatIsMissing) {
  const Json answer = Json::parse(R"({"key":"shop","versions":[
    {"version":1,"state":"retiring","type":"rsa","bits":2048,
     "fingerprint_sha256":"5f1c0a9e8d7b6c5a4f3e2d1c0b9a8f7e","created":null,"kid":"shop","settings":{},
     "certificate":{"subject":"CN=shop","not_after":"2027-01-05T00:00:00Z"}},
    {"version":12,"state":"pending","type":"ec","curve":"P-256","bits":256,
     "fingerprint_sha256":"0123456789abcdef0123","created":"2026-12-06T07:55:00Z","kid":"shop-v12",
     "settings":{"jws.kid":"shop-v12"},"certificate":null}]})");
  EXPECT_EQ(versions_table(answer),
            "VERSION  STATE     TYPE      FINGERPRINT       CREATED               KID       "
            "CERT_EXPIRES\n"
            "1        retiring  RSA-2048  5f1c0a9e8d7b6c5a  -                     shop      "
            "2027-01-05T00:00:00Z\n"
            "12       pending   EC P-256  0123456789abcdef  2026-12-06T07:55:00Z  shop-v12  -\n");
}

TEST(VersionsTable, AnAnswerWithoutVersionsIsAFailure) {
  EXPECT_THROW(versions_table(Json::parse(R"({"key":"shop"})")), Failure);
  EXPECT_THROW(versions_table(Json::parse(R"([1,2])")), Failure);
}

}  // namespace
}  // namespace p11signd::cli
