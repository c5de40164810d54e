#include "daemon/routes/router.h"

#include <gtest/gtest.h>

namespace p11signd::daemon {
namespace {

TEST(Router, MatchesKeyRoutesWithParameters) {
  auto r = route(http::verb::post, "/v1/keys/demo/sign");
  ASSERT_TRUE(r.match);
  EXPECT_EQ(r.match->id, RouteId::kSign);
  EXPECT_EQ(r.match->key, "demo");
  EXPECT_EQ(r.match->name, "/v1/keys/{key}/sign");
  EXPECT_FALSE(r.match->admin);
}

TEST(Router, ParsesTheQuery) {
  auto r = route(http::verb::get, "/v1/keys/demo/public-key?format=jwk&x");
  ASSERT_TRUE(r.match);
  EXPECT_EQ(r.match->id, RouteId::kPublicKey);
  EXPECT_EQ(r.match->query.at("format"), "jwk");
  EXPECT_EQ(r.match->query.count("x"), 1u);
}

TEST(Router, SamePathDifferentMethods) {
  EXPECT_EQ(route(http::verb::get, "/v1/keys").match->id, RouteId::kListKeys);
  auto create = route(http::verb::post, "/v1/keys");
  ASSERT_TRUE(create.match);
  EXPECT_EQ(create.match->id, RouteId::kCreateKey);
  EXPECT_TRUE(create.match->admin);
  EXPECT_EQ(route(http::verb::post, "/v1/keys/import").match->id, RouteId::kImportKey);
  EXPECT_EQ(route(http::verb::get, "/v1/keys/k/certificate").match->id, RouteId::kGetCertificate);
  EXPECT_EQ(route(http::verb::post, "/v1/keys/k/certificate").match->id, RouteId::kMakeCertificate);
}

TEST(Router, SchemeOperations) {
  auto r = route(http::verb::post, "/v1/schemes/amazonpay/button-signature");
  ASSERT_TRUE(r.match);
  EXPECT_EQ(r.match->scheme, "amazonpay");
  EXPECT_EQ(r.match->op, "button-signature");
}

TEST(Router, WrongMethodIs405WithAllow) {
  auto r = route(http::verb::delete_, "/v1/keys/demo/sign");
  EXPECT_FALSE(r.match);
  EXPECT_EQ(r.error, http::status::method_not_allowed);
  EXPECT_EQ(r.allow, "POST");
  EXPECT_EQ(route(http::verb::put, "/v1/keys").allow, "GET, POST");
}

TEST(Router, UnknownPathsAre404) {
  for (const char* t : {"/", "/v1", "/v1/keys/demo", "/v1/keys/demo/sign/x", "/v2/health",
                        "/v1/keys//sign", "/v1/keys/a%2fb/sign", "*", ""}) {
    auto r = route(http::verb::get, t);
    EXPECT_FALSE(r.match) << t;
    EXPECT_EQ(r.error, http::status::not_found) << t;
  }
}

}  // namespace
}  // namespace p11signd::daemon
