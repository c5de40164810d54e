// A strict API against a real daemon and token: a body field the route does not read is refused by
// name before anything is signed, so a typo never turns into a signature with a default the
// client did not ask for; the refusal of an import never carries the key.
#include <gtest/gtest.h>

#include <string>

#include "daemon/testing/test_support.h"
#include "tests/hostile/hostile_daemon.h"

namespace p11signd::hostile {
namespace {

using daemon::testing::body_json;
using daemon::testing::Client;
using daemon::testing::error_code_of;

TEST(HostileStrictApi, AMisspeltAlgIsNeverSignedWithTheDefault) {
  HostileDaemon d;
  Client c(d.socket());
  const auto typo = c.post("/v1/keys/shop/sign", R"({"algo":"RSA-PSS-SHA256","data":"aGVsbG8="})");
  EXPECT_EQ(typo.result_int(), 400u) << typo.body();
  EXPECT_EQ(error_code_of(typo), "unknown_field");
  EXPECT_TRUE(d.audit_records("sign").empty());
  const auto right = c.post("/v1/keys/shop/sign", R"({"alg":"RSA-PSS-SHA256","data":"aGVsbG8="})");
  ASSERT_EQ(right.result_int(), 200u) << right.body();
  EXPECT_EQ(body_json(right)["alg"], "RSA-PSS-SHA256");
}

TEST(HostileStrictApi, ASchemeTypoIsRefusedBeforeTheSchemeSigns) {
  HostileDaemon d;
  Client c(d.socket());
  const auto res = c.post("/v1/schemes/jws/sign", R"({"key":"shop","paylod":{"amount":"1"}})");
  EXPECT_EQ(res.result_int(), 400u) << res.body();
  EXPECT_EQ(error_code_of(res), "unknown_field");
  EXPECT_NE(res.body().find("did you mean 'payload'?"), std::string::npos) << res.body();
  EXPECT_TRUE(d.audit_records("sign").empty());
}

TEST(HostileStrictApi, RefusingAnImportForAnUnknownFieldDoesNotEchoTheKey) {
  HostileDaemon d;
  Client c(d.socket());
  const auto res = c.post("/v1/keys/import",
                          R"({"name":"n","pem":"-----BEGIN PRIVATE KEY-----\nTOPSECRETKEYBYTES\n)"
                          R"(-----END PRIVATE KEY-----\n","labl":"x"})");
  EXPECT_EQ(res.result_int(), 400u) << res.body();
  EXPECT_EQ(error_code_of(res), "unknown_field");
  EXPECT_EQ(res.body().find("TOPSECRETKEYBYTES"), std::string::npos) << res.body();
  EXPECT_EQ(d.log().find("TOPSECRETKEYBYTES"), std::string::npos);
  for (const auto& rec : d.audit_records()) {
    EXPECT_EQ(rec.dump().find("TOPSECRETKEYBYTES"), std::string::npos) << rec.dump();
  }
}

}  // namespace
}  // namespace p11signd::hostile
