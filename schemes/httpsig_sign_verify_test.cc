// The httpsig scheme's own behaviour: algorithms per key type, settings, Content-Digest, time
// checks and label selection.
#include <gtest/gtest.h>

#include "common/encoding.h"
#include "schemes/httpsig.h"
#include "schemes/peer_key.h"
#include "schemes/testing/test_key.h"

namespace p11signd::schemes {
namespace {

using testing::TestKey;

constexpr std::int64_t kNow = 1700000000;

Clock at(std::int64_t seconds) {
  return [seconds] { return std::chrono::system_clock::time_point(std::chrono::seconds(seconds)); };
}

Json post() {
  return Json{{"method", "POST"},
              {"target_uri", "https://api.example.com/v1/pay?id=7"},
              {"headers", {{"Content-Type", "application/json"}}},
              {"body", "{\"amount\":1}"}};
}

// The signed message as its receiver sees it.
Json received(Json msg, const Json& signed_out) {
  for (const auto& [k, v] : signed_out["headers"].items()) msg["headers"][k] = v;
  for (const char* k : {"components", "alg", "label", "keyid", "created", "expires", "expires_in",
                        "nonce", "tag", "content_digest"}) {
    msg.erase(k);
  }
  return msg;
}

TEST(HttpsigScheme, EveryKeyTypeSignsWithItsAlgorithmAndVerifies) {
  const HttpsigScheme scheme(at(kNow));
  const std::pair<KeyType, const char*> cases[] = {{KeyType::kRsa, "rsa-pss-sha512"},
                                                   {KeyType::kEcP256, "ecdsa-p256-sha256"},
                                                   {KeyType::kEcP384, "ecdsa-p384-sha384"},
                                                   {KeyType::kEd25519, "ed25519"}};
  for (const auto& [type, alg] : cases) {
    const TestKey& key = type == KeyType::kRsa ? TestKey::shared() : TestKey::generate(type);
    const Json out = scheme.sign(post(), {{"httpsig.keyid", "k1"}}, key.signer());
    EXPECT_EQ(out["alg"], alg);
    EXPECT_EQ(
        out["headers"]["Signature-Input"],
        "sig1=(\"@method\" \"@target-uri\" \"content-digest\");created=1700000000;keyid=\"k1\"");
    const Json v = scheme.verify(received(post(), out), key.peer());
    EXPECT_TRUE(v["valid"].get<bool>()) << alg << v.dump();
    EXPECT_EQ(v["alg"], alg);
    if (type == KeyType::kEcP256) {
      EXPECT_EQ(base64_decode(out["signature"].get<std::string>())->size(), 64u);  // raw r||s
    }
  }
}

TEST(HttpsigScheme, AnAlgTheKeyCannotMakeIsA422NamingIt) {
  const HttpsigScheme scheme(at(kNow));
  Json in = post();
  in["alg"] = "ecdsa-p256-sha256";
  try {
    scheme.sign(in, {}, TestKey::shared().signer());
    FAIL();
  } catch (const SchemeError& e) {
    EXPECT_EQ(e.kind(), SchemeErrorKind::kUnprocessable);
    EXPECT_EQ(e.field(), "alg");
    EXPECT_NE(std::string(e.what()).find("ecdsa-p256-sha256 cannot be made with this key (RSA)"),
              std::string::npos)
        << e.what();
  }
  in["alg"] = "hmac-sha256";
  EXPECT_THROW(scheme.sign(in, {}, TestKey::shared().signer()), SchemeError);
  try {
    scheme.sign(post(), {{"httpsig.alg", "ed25519"}}, TestKey::shared().signer());
    FAIL();
  } catch (const SchemeError& e) {
    EXPECT_EQ(e.field(), "httpsig.alg");
  }
}

TEST(HttpsigScheme, SettingsGiveTheDefaults) {
  const HttpsigScheme scheme(at(kNow));
  const KeySettings settings{
      {"httpsig.components", "\"@method\" \"@authority\" \"@query-param\";name=\"id\""},
      {"httpsig.alg", "rsa-v1_5-sha256"},
      {"httpsig.label", "pay"},
      {"httpsig.expires-in", "300"},
      {"httpsig.content-digest", "sha-256, sha-512"}};
  EXPECT_TRUE(scheme.check_settings(settings).empty());
  const Json out = scheme.sign(post(), settings, TestKey::shared().signer());
  EXPECT_EQ(out["headers"]["Signature-Input"],
            "pay=(\"@method\" \"@authority\" \"@query-param\";name=\"id\");created=1700000000;"
            "expires=1700000300;alg=\"rsa-v1_5-sha256\"");
  EXPECT_EQ(out["signature_base"],
            "\"@method\": POST\n\"@authority\": api.example.com\n\"@query-param\";name=\"id\": 7\n"
            "\"@signature-params\": (\"@method\" \"@authority\" \"@query-param\";name=\"id\")"
            ";created=1700000000;expires=1700000300;alg=\"rsa-v1_5-sha256\"");
  EXPECT_EQ(out["headers"]["Content-Digest"].get<std::string>().rfind("sha-256=:", 0), 0u);
  EXPECT_NE(out["headers"]["Content-Digest"].get<std::string>().find(", sha-512=:"),
            std::string::npos);
  const Json v = scheme.verify(received(post(), out), TestKey::shared().peer());
  EXPECT_TRUE(v["valid"].get<bool>()) << v.dump();
  EXPECT_EQ(v["label"], "pay");
}

TEST(HttpsigScheme, BadSettingsAreReported) {
  const HttpsigScheme scheme(at(kNow));
  EXPECT_EQ(scheme.check_settings({{"httpsig.alg", "rsa-sha1"}}).size(), 1u);
  EXPECT_EQ(scheme.check_settings({{"httpsig.components", "@method"}}).size(), 1u);
  EXPECT_EQ(scheme.check_settings({{"httpsig.content-digest", "md5"}}).size(), 1u);
  EXPECT_EQ(scheme.check_settings({{"httpsig.expires-in", "soon"}}).size(), 1u);
  EXPECT_EQ(scheme.check_settings({{"httpsig.label", "Sig 1"}}).size(), 1u);
}

TEST(HttpsigScheme, TamperedBodyFailsOnContentDigest) {
  const HttpsigScheme scheme(at(kNow));
  const Json out = scheme.sign(post(), {}, TestKey::shared().signer());
  Json msg = received(post(), out);
  msg["body"] = "{\"amount\":100}";
  const Json v = scheme.verify(msg, TestKey::shared().peer());
  EXPECT_FALSE(v["valid"].get<bool>());
  EXPECT_NE(v["reason"].get<std::string>().find("does not match the body"), std::string::npos)
      << v.dump();
  msg.erase("body");
  EXPECT_NE(
      scheme.verify(msg, TestKey::shared().peer())["reason"].get<std::string>().find("no body"),
      std::string::npos);
}

TEST(HttpsigScheme, StaleFutureAndExpiredSignaturesAreRefused) {
  const HttpsigScheme signer(at(kNow));
  Json in = post();
  in["expires_in"] = 60;
  const Json msg = received(post(), signer.sign(in, {}, TestKey::shared().signer()));
  const PeerKey peer = TestKey::shared().peer();
  EXPECT_TRUE(HttpsigScheme(at(kNow + 30)).verify(msg, peer)["valid"].get<bool>());
  const Json expired = HttpsigScheme(at(kNow + 200)).verify(msg, peer);
  EXPECT_NE(expired["reason"].get<std::string>().find("expired"), std::string::npos)
      << expired.dump();
  const Json future = HttpsigScheme(at(kNow - 120)).verify(msg, peer);
  EXPECT_NE(future["reason"].get<std::string>().find("in the future"), std::string::npos);
  Json skewed = msg;
  skewed["clock_skew"] = 300;
  EXPECT_TRUE(HttpsigScheme(at(kNow - 120)).verify(skewed, peer)["valid"].get<bool>());
  Json aged = msg;
  aged["max_age"] = 10;
  aged["clock_skew"] = 0;
  EXPECT_FALSE(HttpsigScheme(at(kNow + 30)).verify(aged, peer)["valid"].get<bool>());
}

TEST(HttpsigScheme, TheLabelThatVerifiedIsReported) {
  const HttpsigScheme scheme(at(kNow));
  Json in = post();
  in["label"] = "mine";
  const Json out = scheme.sign(in, {}, TestKey::shared().signer());
  Json msg = received(post(), out);
  msg["headers"]["Signature-Input"] = "other=(\"@method\");created=1700000000, " +
                                      out["headers"]["Signature-Input"].get<std::string>();
  msg["headers"]["Signature"] = "other=:AAAA:, " + out["headers"]["Signature"].get<std::string>();
  const Json v = scheme.verify(msg, TestKey::shared().peer());
  EXPECT_TRUE(v["valid"].get<bool>()) << v.dump();
  EXPECT_EQ(v["label"], "mine");
  msg["label"] = "other";
  const Json o = scheme.verify(msg, TestKey::shared().peer());
  EXPECT_FALSE(o["valid"].get<bool>());
  EXPECT_EQ(o["reason"].get<std::string>().rfind("other: ", 0), 0u) << o.dump();
  EXPECT_FALSE(scheme.verify(msg, TestKey::other().peer())["valid"].get<bool>());
}

TEST(HttpsigScheme, ResponsesSignStatusAndRequestComponents) {
  const HttpsigScheme scheme(at(kNow));
  const TestKey key = TestKey::generate(KeyType::kEd25519);
  Json resp{{"status", 201},
            {"headers", {{"Content-Type", "application/json"}}},
            {"body", "{}"},
            {"request", post()},
            {"components", {"@status", "content-digest", "@method;req", "content-digest;req"}}};
  EXPECT_THROW(scheme.sign(resp, {}, key.signer()), SchemeError);  // the request has none
  resp["components"] = {"@status", "content-digest", "@method;req", "@path;req"};
  const Json out = scheme.sign(resp, {}, key.signer());
  Json msg = received(resp, out);
  EXPECT_TRUE(scheme.verify(msg, key.peer())["valid"].get<bool>());
  msg["status"] = 200;
  EXPECT_FALSE(scheme.verify(msg, key.peer())["valid"].get<bool>());
}

TEST(HttpsigScheme, MalformedReceivedFieldsAreAnswersNotErrors) {
  const HttpsigScheme scheme(at(kNow));
  Json msg = post();
  EXPECT_FALSE(scheme.verify(msg, TestKey::shared().peer())["valid"].get<bool>());
  msg["headers"]["Signature-Input"] = "sig1=(";
  msg["headers"]["Signature"] = "sig1=:AAAA:";
  const Json v = scheme.verify(msg, TestKey::shared().peer());
  EXPECT_FALSE(v["valid"].get<bool>());
  EXPECT_NE(v["reason"].get<std::string>().find("Signature-Input is not a structured Dictionary"),
            std::string::npos);
}

TEST(HttpsigScheme, BadInputNamesTheField) {
  const HttpsigScheme scheme(at(kNow));
  const auto field_of = [&](Json in) {
    try {
      scheme.sign(in, {}, TestKey::shared().signer());
    } catch (const SchemeError& e) {
      return e.field();
    }
    return std::string("<none>");
  };
  Json in = post();
  in["components"] = {"@method", 7};
  EXPECT_EQ(field_of(in), "components[1]");
  in = post();
  in["components"] = {"@nonsense"};
  EXPECT_EQ(field_of(in), "components");
  in = post();
  in.erase("target_uri");
  EXPECT_EQ(field_of(in), "target_uri");
  in = post();
  in["label"] = "Bad Label";
  EXPECT_EQ(field_of(in), "label");
  in = post();
  in["headers"]["X"] = "a\r\nInjected: 1";
  EXPECT_EQ(field_of(in), "headers.X");
  in = post();
  in["nonce"] = "caf\xc3\xa9";
  EXPECT_EQ(field_of(in), "nonce");
}

}  // namespace
}  // namespace p11signd::schemes
