// ES256, ES384 and EdDSA in the jws scheme, and the pinning of alg to the key's type.
#include <gtest/gtest.h>

#include "common/ecdsa_signature.h"
#include "common/encoding.h"
#include "common/public_key.h"
#include "schemes/jws.h"
#include "schemes/peer_key.h"
#include "schemes/testing/compact.h"
#include "schemes/testing/test_key.h"

namespace p11signd::schemes {
namespace {

using testing::split_compact;
using testing::TestKey;

struct EcCase {
  KeyType type;
  const char* alg;
  std::size_t signature_len;  // ECDSA: r||s; Ed25519: R||S
};

const EcCase kCases[] = {{KeyType::kEcP256, "ES256", 64},
                         {KeyType::kEcP384, "ES384", 96},
                         {KeyType::kEd25519, "EdDSA", 64}};

// One key of each type per binary: generation is slow under the sanitizers.
const TestKey& key_of(KeyType type) {
  static const TestKey p256 = TestKey::generate(KeyType::kEcP256);
  static const TestKey p384 = TestKey::generate(KeyType::kEcP384);
  static const TestKey ed25519 = TestKey::generate(KeyType::kEd25519);
  switch (type) {
    case KeyType::kEcP256:
      return p256;
    case KeyType::kEcP384:
      return p384;
    case KeyType::kEd25519:
      return ed25519;
    case KeyType::kRsa:
      break;
  }
  return TestKey::shared();
}

std::string header_of(const std::string& jws) {
  return std::string(as_chars(*base64url_decode(split_compact(jws)[0])));
}

Json verify(const std::string& jws, const PeerKey& peer, const char* pinned = nullptr) {
  Json in{{"jws", jws}};
  if (pinned) in["alg"] = pinned;
  return JwsScheme().verify(in, peer);
}

std::string sign_with(const TestKey& key, const Json& input) {
  return JwsScheme().sign(input, {}, key.signer())["jws"].get<std::string>();
}

std::string field_and_status(const SchemeError& e) {
  return e.field() + (e.kind() == SchemeErrorKind::kBadRequest ? ":400" : ":422");
}

TEST(JwsEc, EachKeyTypeSignsItsAlgByDefaultAndVerifies) {
  for (const auto& c : kCases) {
    const TestKey& key = key_of(c.type);
    const std::string jws = sign_with(key, Json{{"payload", {{"sub", "x"}}}});
    EXPECT_EQ(header_of(jws), std::string(R"({"alg":")") + c.alg + "\"}") << c.alg;
    EXPECT_EQ(base64url_decode(split_compact(jws)[2])->size(), c.signature_len) << c.alg;
    const Json ok = verify(jws, key.peer());
    ASSERT_TRUE(ok["valid"].get<bool>()) << c.alg << ok;
    EXPECT_EQ(ok["payload"], Json({{"sub", "x"}}));
    EXPECT_TRUE(verify(jws, key.peer(), c.alg)["valid"].get<bool>()) << c.alg;
    // Asked for by name, the same.
    const std::string named = sign_with(key, Json{{"alg", c.alg}, {"payload", Json::object()}});
    EXPECT_TRUE(verify(named, key.peer())["valid"].get<bool>()) << c.alg;
  }
}

TEST(JwsEc, ChangedPayloadOrSignatureOrOtherKeyFails) {
  for (const auto& c : kCases) {
    const TestKey& key = key_of(c.type);
    const TestKey other = TestKey::generate(c.type);
    const std::string jws = sign_with(key, Json{{"payload", {{"n", 1}}}});
    const auto parts = split_compact(jws);
    Bytes sig = *base64url_decode(parts[2]);
    sig[sig.size() / 2] ^= 1;
    const std::vector<std::string> forged = {
        parts[0] + "." + base64url_encode(as_bytes(R"({"n":2})")) + "." + parts[2],
        parts[0] + "." + parts[1] + "." + base64url_encode(sig)};
    for (const auto& f : forged) {
      const Json v = verify(f, key.peer());
      EXPECT_FALSE(v["valid"].get<bool>()) << c.alg << " " << f;
      EXPECT_EQ(v["reason"], "signature does not match header and payload") << v;
    }
    EXPECT_FALSE(verify(jws, other.peer())["valid"].get<bool>()) << c.alg;
  }
}

// RFC 7518 3.4: the JWS signature is r||s of fixed length. The DER form OpenSSL writes, or r||s
// cut or padded, is not a JWS signature even when it is a good ECDSA signature.
TEST(JwsEc, DerOrWrongLengthSignatureIsInvalidNotAnError) {
  for (const auto& c : {kCases[0], kCases[1]}) {
    const TestKey& key = key_of(c.type);
    const std::string jws = sign_with(key, Json{{"payload_b64", "AQID"}});
    const auto parts = split_compact(jws);
    const Bytes raw = *base64url_decode(parts[2]);
    const Bytes der = *ecdsa_raw_to_der(raw);
    ASSERT_TRUE(verify_signature(key.peer().get(),
                                 {jws_sign_request(c.alg)->alg, 0, EcdsaEncoding::kDer},
                                 as_bytes(parts[0] + "." + parts[1]), der));
    Bytes longer = raw;
    longer.push_back(0);
    const Bytes shorter(raw.begin(), raw.end() - 1);
    for (const Bytes& sig : {der, longer, shorter}) {
      const Json v = verify(parts[0] + "." + parts[1] + "." + base64url_encode(sig), key.peer());
      EXPECT_FALSE(v["valid"].get<bool>()) << c.alg;
      const std::string expected = "an " + std::string(c.alg) + " signature is " +
                                   std::to_string(c.signature_len) + " bytes (r||s, RFC 7518 3.4)";
      EXPECT_EQ(v["reason"].get<std::string>().rfind(expected, 0), 0u) << v;
    }
  }
}

// An RSA key never makes ES256 and an EC key never RS256: a 422 that names the key type and the
// algs it makes.
TEST(JwsEc, AlgThatTheKeyTypeCannotMakeIs422NamingTheType) {
  const auto refusal = [](const TestKey& key, const Json& input) {
    try {
      JwsScheme().sign(input, {}, key.signer());
    } catch (const SchemeError& e) {
      return field_and_status(e) + " " + e.what();
    }
    return std::string("no error");
  };
  const Json payload{{"payload", Json::object()}};
  auto with_alg = [&](const char* alg) {
    Json in = payload;
    in["alg"] = alg;
    return in;
  };
  EXPECT_EQ(refusal(TestKey::shared(), with_alg("ES256")),
            "alg:422 alg: 'ES256' is not for this key: the key is RSA, which makes RS256 or PS256");
  EXPECT_EQ(
      refusal(key_of(KeyType::kEcP256), with_alg("RS256")),
      "alg:422 alg: 'RS256' is not for this key: the key is EC P-256, which makes ES256 only");
  EXPECT_EQ(
      refusal(key_of(KeyType::kEcP256), with_alg("PS256")),
      "alg:422 alg: 'PS256' is not for this key: the key is EC P-256, which makes ES256 only");
  EXPECT_EQ(
      refusal(key_of(KeyType::kEcP384), with_alg("ES256")),
      "alg:422 alg: 'ES256' is not for this key: the key is EC P-384, which makes ES384 only");
  EXPECT_EQ(refusal(key_of(KeyType::kEd25519), with_alg("ES256")),
            "alg:422 alg: 'ES256' is not for this key: the key is Ed25519, which makes EdDSA only");
  EXPECT_EQ(refusal(TestKey::shared(), with_alg("ES512")),
            "alg:422 alg: must be RS256, PS256, ES256, ES384 or EdDSA");
  // The header may not name another alg than the one the key signs by default.
  Json header_alg = payload;
  header_alg["header"] = {{"alg", "RS256"}};
  EXPECT_EQ(refusal(key_of(KeyType::kEcP256), header_alg).substr(0, 16), "header.alg:422 h");
  // Nothing was signed for a refused request: carat's fixed RS256 header refuses an EC key too.
  EXPECT_THROW(
      jws_sign_compact(Json{{"alg", "RS256"}}, as_bytes("x"), key_of(KeyType::kEd25519).signer()),
      SchemeError);
}

// The key decides the family: a header claiming RS256 over an EC key, or ES256 over an RSA key,
// is refused with the reason, whatever the signature bytes.
TEST(JwsEc, HeaderAlgThatDoesNotFitThePeerKeyIsInvalid) {
  const std::string ec_jws = sign_with(key_of(KeyType::kEcP256), Json{{"payload_b64", "AQID"}});
  const std::string rsa_jws = sign_with(TestKey::shared(), Json{{"payload_b64", "AQID"}});
  const auto relabelled = [](const std::string& jws, const char* alg) {
    const auto parts = split_compact(jws);
    return base64url_encode(as_bytes(std::string(R"({"alg":")") + alg + "\"}")) + "." + parts[1] +
           "." + parts[2];
  };
  const std::vector<std::tuple<std::string, const TestKey*, std::string>> cases = {
      {relabelled(ec_jws, "RS256"), &key_of(KeyType::kEcP256),
       "header alg 'RS256' does not fit the key: the key is EC P-256, which makes ES256 only"},
      {relabelled(ec_jws, "ES384"), &key_of(KeyType::kEcP256),
       "header alg 'ES384' does not fit the key: the key is EC P-256, which makes ES256 only"},
      {relabelled(rsa_jws, "ES256"), &TestKey::shared(),
       "header alg 'ES256' does not fit the key: the key is RSA, which makes RS256 or PS256"}};
  for (const auto& [jws, key, reason] : cases) {
    const Json v = verify(jws, key->peer());
    EXPECT_FALSE(v["valid"].get<bool>()) << jws;
    EXPECT_EQ(v["reason"].get<std::string>().substr(0, reason.size()), reason) << v;
  }
  // EdDSA over an Ed25519 key fits: the ES256 signature bytes then fail as a signature.
  EXPECT_EQ(verify(relabelled(ec_jws, "EdDSA"), key_of(KeyType::kEd25519).peer())["reason"],
            "signature does not match header and payload");
  // A pinned alg the peer key cannot verify is the same answer.
  const Json pinned = verify(ec_jws, key_of(KeyType::kEcP256).peer(), "RS256");
  EXPECT_FALSE(pinned["valid"].get<bool>());
  EXPECT_EQ(pinned["reason"], "header alg 'ES256' is not accepted");
}

TEST(JwsEc, AlgsForEachKeyTypeDefaultFirst) {
  EXPECT_EQ(jws_algs_for(KeyType::kRsa), (std::vector<std::string_view>{"RS256", "PS256"}));
  EXPECT_EQ(jws_algs_for(KeyType::kEcP256), (std::vector<std::string_view>{"ES256"}));
  EXPECT_EQ(jws_algs_for(KeyType::kEcP384), (std::vector<std::string_view>{"ES384"}));
  EXPECT_EQ(jws_algs_for(KeyType::kEd25519), (std::vector<std::string_view>{"EdDSA"}));
  EXPECT_EQ(jws_sign_request("ES256")->ecdsa_encoding, EcdsaEncoding::kRaw);
  EXPECT_EQ(jws_sign_request("ES384")->alg, SignAlg::kEcdsaSha384);
  EXPECT_EQ(jws_sign_request("EdDSA")->alg, SignAlg::kEd25519);
  EXPECT_FALSE(jws_sign_request("ES512"));
  EXPECT_FALSE(jws_sign_request("Ed25519"));  // the JWS name is EdDSA (RFC 8037 3.1)
}

TEST(JwsEc, DescribeListsEveryAlgAndKeyType) {
  const JwsScheme scheme;
  const Json d = scheme.describe();
  EXPECT_EQ(d["algorithms"], Json({"RS256", "PS256", "ES256", "ES384", "EdDSA"}));
  EXPECT_EQ(d["algorithms_by_key_type"]["EC P-384"], Json({"ES384"}));
  EXPECT_EQ(d["algorithms_by_key_type"]["RSA"], Json({"RS256", "PS256"}));
  EXPECT_EQ(scheme.key_types().size(), 4u);
}

}  // namespace
}  // namespace p11signd::schemes
