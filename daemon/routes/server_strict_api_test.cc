// A request is held to the fields its route reads: a misspelt optional field is a 400 naming it,
// never ignored with its default used in its place.
#include <gtest/gtest.h>

#include "daemon/testing/test_support.h"

namespace p11signd::daemon {
namespace {

using namespace p11signd::daemon::testing;

std::string message_of(const Response& res) { return body_json(res)["error"]["message"]; }

bool anything_signed(const TestDaemon& d) {
  for (const auto& rec : d.audit_records()) {
    if (rec.value("result", "") == "ok") return true;
  }
  return false;
}

TEST(StrictApi, AMisspeltAlgIsRefusedNotSignedWithTheDefault) {
  TestDaemon d;
  Client c(d.socket());
  const auto res = c.post("/v1/keys/demo/sign", R"({"algo":"RSA-PSS-SHA256","data":"aGVsbG8="})");
  EXPECT_EQ(res.result_int(), 400u) << res.body();
  EXPECT_EQ(error_code_of(res), "unknown_field");
  EXPECT_EQ(message_of(res),
            "field 'algo' is not one this route reads (did you mean 'alg'?); its fields are data, "
            "alg, salt_len, format");
  EXPECT_FALSE(anything_signed(d));
  // The same body spelt right signs.
  EXPECT_EQ(
      c.post("/v1/keys/demo/sign", R"({"alg":"RSA-PSS-SHA256","data":"aGVsbG8="})").result_int(),
      200u);
}

TEST(StrictApi, RawThroughTheSchemeRouteAlsoReadsTheKey) {
  TestDaemon d;
  Client c(d.socket());
  EXPECT_EQ(c.post("/v1/schemes/raw/sign", R"({"key":"demo","data":"aGVsbG8="})").result_int(),
            200u);
  const auto res = c.post("/v1/keys/demo/sign", R"({"key":"demo","data":"aGVsbG8="})");
  EXPECT_EQ(error_code_of(res), "unknown_field") << res.body();
}

// A scheme's body is parsed on a worker after the access check; the refusal comes from there, and
// the scheme never asks for a signature.
TEST(StrictApi, ASchemeFieldNotReadIsRefusedWithTheNearestName) {
  TestDaemon d;
  Client c(d.socket());
  const auto res = c.post("/v1/schemes/jws/sign", R"({"key":"restricted","paylod":{"a":1}})");
  EXPECT_EQ(res.result_int(), 400u) << res.body();
  EXPECT_EQ(error_code_of(res), "unknown_field");
  EXPECT_EQ(message_of(res),
            "paylod: not a field of jws sign (did you mean 'payload'?); its fields are key, "
            "payload, alg, header, payload_b64");
  EXPECT_FALSE(anything_signed(d));
}

// What a provider's own objects hold is the provider's: signed as given, never checked here.
TEST(StrictApi, ProviderContentIsNotHeldToTheFieldList) {
  TestDaemon d;
  Client c(d.socket());
  const auto res =
      c.post("/v1/schemes/jws/sign", R"({"key":"restricted","payload":{"anything":1,"algo":"x"}})");
  EXPECT_EQ(res.result_int(), 200u) << res.body();
}

TEST(StrictApi, AMissingSchemeFieldIsMissingFieldAsEverywhere) {
  TestDaemon d;
  Client c(d.socket());
  const auto res = c.post("/v1/schemes/jws/verify", R"({"key":"restricted"})");
  EXPECT_EQ(res.result_int(), 400u) << res.body();
  EXPECT_EQ(error_code_of(res), "missing_field");
  EXPECT_EQ(message_of(res), "jws: is required");
}

// The import's PEM is taken out of the body before the fields are compared: a refusal names the
// field, never the key.
TEST(StrictApi, AnImportWithAnUnknownFieldDoesNotEchoThePem) {
  TestDaemon d;
  Client c(d.socket());
  const auto res =
      c.post("/v1/keys/import",
             R"({"name":"n","pem":"-----BEGIN PRIVATE KEY-----\nSECRETMATERIAL\n","lable":"l"})");
  EXPECT_EQ(res.result_int(), 400u) << res.body();
  EXPECT_EQ(error_code_of(res), "unknown_field");
  EXPECT_NE(message_of(res).find("did you mean 'label'?"), std::string::npos) << res.body();
  EXPECT_EQ(res.body().find("SECRETMATERIAL"), std::string::npos) << res.body();
}

}  // namespace
}  // namespace p11signd::daemon
