// Key types and schemes: EC and Ed25519 keys sign JWS and raw through the daemon, a scheme that
// needs RSA refuses them at start, reload and request time, and GET /v1/schemes lists the key
// types each scheme takes. The harness's fake token holds ec-p256 and ed25519 beside the RSA keys.
#include <gtest/gtest.h>

#include <fstream>

#include "common/encoding.h"
#include "common/public_key.h"
#include "common/testing/software_sign.h"
#include "daemon/routes/public_key.h"
#include "daemon/testing/test_support.h"

namespace p11signd::daemon {
namespace {

using namespace p11signd::daemon::testing;

std::string ec_key_section(const std::string& name, const std::string& label,
                           const std::string& schemes) {
  return "[key." + name + "]\nlabel = " + label + "\nallow-uids = 0\nschemes = " + schemes + "\n";
}

std::string header_alg(const std::string& jws) {
  const auto header = base64url_decode(jws.substr(0, jws.find('.')));
  return nlohmann::json::parse(as_chars(*header))["alg"];
}

TEST(ServerKeyTypes, EcAndEd25519KeysSignJwsWithTheirAlgAndVerify) {
  TestDaemon::Options o;
  o.sections += ec_key_section("ec", "ec-p256", "jws") + ec_key_section("ed", "ed25519", "jws");
  TestDaemon d(o);
  Client c(d.socket());
  for (const auto& [key, alg] : {std::pair{"ec", "ES256"}, std::pair{"ed", "EdDSA"}}) {
    const nlohmann::json body{{"key", key}, {"payload", {{"amount", "10.00"}}}};
    auto res = c.post("/v1/schemes/jws/sign", body.dump());
    ASSERT_EQ(res.result_int(), 200u) << res.body();
    const std::string jws = body_json(res)["jws"];
    EXPECT_EQ(header_alg(jws), alg);
    // Checked by OpenSSL against the public key the fake token holds, not only by the scheme.
    const auto dot = jws.rfind('.');
    const auto sig = base64url_decode(jws.substr(dot + 1));
    ASSERT_TRUE(sig);
    const SignAlg sign_alg =
        std::string(alg) == "ES256" ? SignAlg::kEcdsaSha256 : SignAlg::kEd25519;
    EXPECT_TRUE(verify_signature(d.store().public_key(key).get(),
                                 {sign_alg, 0, EcdsaEncoding::kRaw}, as_bytes(jws.substr(0, dot)),
                                 *sig))
        << alg;
    auto ok = c.post("/v1/schemes/jws/verify", nlohmann::json{{"key", key}, {"jws", jws}}.dump());
    ASSERT_EQ(ok.result_int(), 200u) << ok.body();
    EXPECT_EQ(body_json(ok)["valid"], true) << ok.body();
    // An RSA alg asked of an EC key: 422 naming the key type.
    auto refused = c.post("/v1/schemes/jws/sign",
                          nlohmann::json{{"key", key}, {"alg", "RS256"}, {"payload", {}}}.dump());
    EXPECT_EQ(refused.result_int(), 422u) << refused.body();
    EXPECT_EQ(error_code_of(refused), "invalid_request");
    EXPECT_NE(body_json(refused)["error"]["message"].get<std::string>().find("the key is "),
              std::string::npos)
        << refused.body();
  }
}

// After "PATH:LINE: ": the key's schemes line.
const std::string kRefusal =
    ": [key.ec] schemes: scheme 'alipay' signs with RSA keys only; key 'ec' is an EC P-256 key";

TEST(ServerKeyTypes, ASchemeThatNeedsRsaRefusesAnEcKeyAtStart) {
  TestDaemon::Options o;
  o.sections += ec_key_section("ec", "ec-p256", "jws,alipay");
  try {
    TestDaemon refused(o);
    ADD_FAILURE() << "the daemon started";
  } catch (const std::runtime_error& e) {
    EXPECT_TRUE(std::string_view(e.what()).starts_with("test keys: /")) << e.what();
    EXPECT_TRUE(std::string_view(e.what()).ends_with(kRefusal)) << e.what();
  }
}

// A reload that would give an EC key an RSA-only scheme is refused, and the keys in force still
// sign: the store names them again.
TEST(ServerKeyTypes, AReloadGivingAnEcKeyAnRsaSchemeIsRefusedAndTheOldKeysStay) {
  TestDaemon::Options o;
  o.sections += ec_key_section("ec", "second", "jws");  // an RSA key under the name, for now
  TestDaemon d(o);
  TestDaemon::Options next;
  d.write_config(next.sections + ec_key_section("ec", "ec-p256", "jws,alipay"));
  const auto problems = d.daemon().reload_now();
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_TRUE(std::string_view(problems.front()).ends_with(kRefusal)) << problems.front();
  Client c(d.socket());
  auto res = c.post("/v1/schemes/jws/sign", R"({"key":"ec","payload":{}})");
  ASSERT_EQ(res.result_int(), 200u) << res.body();
  EXPECT_EQ(header_alg(body_json(res)["jws"]), "RS256");  // still the RSA key
}

// Past the start's check (the harness skips it here), the request is refused before the scheme
// runs or anything is signed: 422 key_type_not_supported, for sign and for verify with the key.
TEST(ServerKeyTypes, ARequestWithAKeyTheSchemeCannotUseIs422) {
  TestDaemon::Options o;
  o.sections += ec_key_section("ec", "ec-p256", "alipay");
  o.check_key_types = false;
  TestDaemon d(o);
  Client c(d.socket());
  const std::string message =
      "scheme 'alipay' signs with RSA keys only; key 'ec' is an EC P-256 key";
  for (const char* op : {"sign", "verify"}) {
    auto res = c.post(std::string("/v1/schemes/alipay/") + op, R"({"key":"ec"})");
    EXPECT_EQ(res.result_int(), 422u) << res.body();
    EXPECT_EQ(error_code_of(res), "key_type_not_supported") << res.body();
    EXPECT_EQ(body_json(res)["error"]["message"], message) << res.body();
  }
  EXPECT_EQ(d.store().sign_count(), 0u);
}

TEST(ServerKeyTypes, APeerKeyOfATypeItsSchemeDoesNotTakeIsRefused) {
  TempDir dir;
  const std::string pem = dir.file("ec-peer.pem");
  const auto ec = ::p11signd::testing::generate_software_key(KeyType::kEcP256);
  std::ofstream(pem) << spki_pem(spki_der(ec.get()));
  TestDaemon::Options o;
  o.sections += "[peer.shop]\nscheme = jws\npublic-key = " + pem + "\n";
  TestDaemon accepted(o);  // jws takes EC keys
  accepted.stop();
  o.sections += "[peer.wallet]\nscheme = wechatpay\npublic-key = " + pem + "\n";
  try {
    TestDaemon refused(o);
    ADD_FAILURE() << "the daemon started";
  } catch (const std::runtime_error& e) {
    EXPECT_TRUE(std::string_view(e.what()).ends_with(
        "[peer.wallet]: the key is EC P-256; scheme 'wechatpay' verifies with RSA keys only"))
        << e.what();
  }
}

TEST(ServerKeyTypes, SchemesListTheirKeyTypes) {
  TestDaemon d;
  Client c(d.socket());
  auto res = c.get("/v1/schemes");
  ASSERT_EQ(res.result_int(), 200u);
  std::map<std::string, nlohmann::json> types;
  const nlohmann::json body = body_json(res);
  for (const auto& s : body["schemes"]) {
    types[s["name"].get<std::string>()] = s["key_types"];
  }
  const nlohmann::json all = {"RSA", "EC P-256", "EC P-384", "Ed25519"};
  EXPECT_EQ(types["jws"], all);
  EXPECT_EQ(types["raw"], all);
  for (const char* rsa_only : {"mypos", "swifood", "carat", "amazonpay", "alipay", "wechatpay"}) {
    EXPECT_EQ(types[rsa_only], nlohmann::json::array({"RSA"})) << rsa_only;
  }
}

}  // namespace
}  // namespace p11signd::daemon
