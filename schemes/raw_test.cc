#include "schemes/raw.h"

#include <gtest/gtest.h>

#include "common/ecdsa_signature.h"
#include "common/encoding.h"
#include "common/public_key.h"
#include "schemes/peer_key.h"
#include "schemes/testing/test_key.h"

namespace p11signd::schemes {
namespace {

using testing::TestKey;

TEST(RawScheme, SignVerifyBothAlgorithms) {
  const RawScheme scheme;
  const PeerKey peer = TestKey::shared().peer();
  const std::string data = base64_encode(as_bytes("any bytes \x01\xff"));
  for (const char* alg : {"RSA-SHA256", "RSA-PSS-SHA256"}) {
    const Json out =
        scheme.sign(Json{{"alg", alg}, {"data", data}}, {}, TestKey::shared().signer());
    EXPECT_EQ(out["alg"], alg);
    const Json ok =
        scheme.verify(Json{{"alg", alg}, {"data", data}, {"signature", out["signature"]}}, peer);
    EXPECT_TRUE(ok["valid"].get<bool>());
    const std::string other = base64_encode(as_bytes("any bytes \x01\xfe"));
    EXPECT_FALSE(scheme
                     .verify(Json{{"alg", alg}, {"data", other}, {"signature", out["signature"]}},
                             peer)["valid"]
                     .get<bool>());
  }
}

// The body of /v1/keys/NAME/sign and /verify: alg defaults to RSA-SHA256, PSS may use salt_len 20.
TEST(RawScheme, ReadsTheDaemonsRawBody) {
  const RawScheme scheme;
  const PeerKey peer = TestKey::shared().peer();
  const std::string data = base64_encode(as_bytes("hello"));
  const Json plain = scheme.sign(Json{{"data", data}}, {}, TestKey::shared().signer());
  EXPECT_EQ(plain["alg"], "RSA-SHA256");
  EXPECT_TRUE(scheme.verify(Json{{"data", data}, {"signature", plain["signature"]}}, peer)["valid"]
                  .get<bool>());

  const Json pss20 = scheme.sign(Json{{"alg", "RSA-PSS-SHA256"}, {"salt_len", 20}, {"data", data}},
                                 {}, TestKey::shared().signer());
  Json check{{"alg", "RSA-PSS-SHA256"}, {"data", data}, {"signature", pss20["signature"]}};
  EXPECT_FALSE(scheme.verify(check, peer)["valid"].get<bool>());  // salt 32 is assumed
  check["salt_len"] = 20;
  const Json ok = scheme.verify(check, peer);
  EXPECT_TRUE(ok["valid"].get<bool>());
  EXPECT_EQ(ok["reason"], "signature matches");
}

TEST(RawScheme, EmptyDataIsSignable) {
  const RawScheme scheme;
  const Json out =
      scheme.sign(Json{{"alg", "RSA-SHA256"}, {"data", ""}}, {}, TestKey::shared().signer());
  EXPECT_TRUE(
      scheme
          .verify(Json{{"alg", "RSA-SHA256"}, {"data", ""}, {"signature", out["signature"]}},
                  TestKey::shared().peer())["valid"]
          .get<bool>());
}

TEST(RawScheme, ErrorsNameTheField) {
  const RawScheme scheme;
  const auto field_of = [&](const char* json) {
    try {
      scheme.sign(Json::parse(json), {}, TestKey::shared().signer());
    } catch (const SchemeError& e) {
      return e.field() + (e.kind() == SchemeErrorKind::kBadRequest ? ":400" : ":422");
    }
    return std::string("no error");
  };
  EXPECT_EQ(field_of(R"({"alg":"RSA-MD5","data":"AA=="})"), "alg:422");
  EXPECT_EQ(field_of(R"({"alg":7,"data":"AA=="})"), "alg:400");
  EXPECT_EQ(field_of(R"({"alg":"RSA-PSS-SHA256","salt_len":16,"data":"AA=="})"), "salt_len:422");
  EXPECT_EQ(field_of(R"({"alg":"RSA-PSS-SHA256","salt_len":"20","data":"AA=="})"), "salt_len:422");
  EXPECT_EQ(field_of(R"({"alg":"RSA-SHA256"})"), "data:400");
  EXPECT_EQ(field_of(R"({"alg":"RSA-SHA256","data":"A"})"), "data:400");
  EXPECT_EQ(field_of(R"({"alg":"RSA-SHA256","data":7})"), "data:400");
  EXPECT_EQ(field_of(R"("x")"), "body:400");
}

std::string refusal(const TestKey& key, const Json& input) {
  try {
    RawScheme().sign(input, {}, key.signer());
  } catch (const SchemeError& e) {
    return e.field() + (e.kind() == SchemeErrorKind::kBadRequest ? ":400 " : ":422 ") + e.what();
  }
  return "no error";
}

// Each key type signs its own algs, the default being the first; ECDSA is DER unless format is
// raw, and what is produced is what OpenSSL verifies.
TEST(RawScheme, EcAndEd25519KeysSignTheirAlgsEcdsaDerByDefault) {
  const std::string data = base64_encode(as_bytes("payload"));
  const struct {
    KeyType type;
    const char* alg;
  } cases[] = {{KeyType::kEcP256, "ECDSA-SHA256"},
               {KeyType::kEcP384, "ECDSA-SHA384"},
               {KeyType::kEd25519, "Ed25519"}};
  for (const auto& c : cases) {
    const TestKey key = TestKey::generate(c.type);
    const Json out = RawScheme().sign(Json{{"data", data}}, {}, key.signer());
    EXPECT_EQ(out["alg"], c.alg);
    const Bytes sig = *base64_decode(out["signature"].get<std::string>());
    const auto alg = *parse_sign_alg(c.alg);
    const bool ecdsa = is_ecdsa(alg);
    EXPECT_EQ(out.contains("format"), ecdsa);
    EXPECT_TRUE(
        verify_signature(key.get(), {alg, 0, EcdsaEncoding::kDer}, as_bytes("payload"), sig))
        << c.alg;
    EXPECT_TRUE(
        RawScheme()
            .verify(Json{{"data", data}, {"signature", out["signature"]}}, key.peer())["valid"]
            .get<bool>())
        << c.alg;
    if (!ecdsa) continue;
    EXPECT_EQ(out["format"], "der");
    EXPECT_EQ(sig[0], 0x30);  // a DER SEQUENCE
    const Json raw =
        RawScheme().sign(Json{{"data", data}, {"format", "raw"}, {"alg", c.alg}}, {}, key.signer());
    EXPECT_EQ(raw["format"], "raw");
    const Bytes rs = *base64_decode(raw["signature"].get<std::string>());
    EXPECT_EQ(rs.size(), 2 * ecdsa_half_len(c.type));
    EXPECT_TRUE(
        verify_signature(key.get(), {alg, 0, EcdsaEncoding::kRaw}, as_bytes("payload"), rs));
    // Verified as the format says: raw read as DER (the default) is false, not an error.
    Json check{{"data", data}, {"signature", raw["signature"]}};
    EXPECT_FALSE(RawScheme().verify(check, key.peer())["valid"].get<bool>());
    check["format"] = "raw";
    EXPECT_TRUE(RawScheme().verify(check, key.peer())["valid"].get<bool>());
  }
}

TEST(RawScheme, PssSha512UsesA64ByteSaltOr20) {
  const std::string data = base64_encode(as_bytes("x"));
  const Json out = RawScheme().sign(Json{{"alg", "RSA-PSS-SHA512"}, {"data", data}}, {},
                                    TestKey::shared().signer());
  const Bytes sig = *base64_decode(out["signature"].get<std::string>());
  EXPECT_TRUE(
      verify_signature(TestKey::shared().get(), {SignAlg::kRsaPssSha512, 64}, as_bytes("x"), sig));
  EXPECT_FALSE(
      verify_signature(TestKey::shared().get(), {SignAlg::kRsaPssSha512, 32}, as_bytes("x"), sig));
  EXPECT_EQ(
      refusal(TestKey::shared(), Json{{"alg", "RSA-PSS-SHA512"}, {"salt_len", 32}, {"data", data}}),
      "salt_len:422 salt_len: must be 64 or 20");
}

// An EC key is never asked for RSA (nor the reverse): 422 naming the key type and its algs.
TEST(RawScheme, AlgOfAnotherKeyTypeIs422NamingTheType) {
  const TestKey p256 = TestKey::generate(KeyType::kEcP256);
  const std::string data = base64_encode(as_bytes("x"));
  EXPECT_EQ(refusal(p256, Json{{"alg", "RSA-SHA256"}, {"data", data}}),
            "alg:422 alg: 'RSA-SHA256' is not for this key: the key is EC P-256, which makes "
            "ECDSA-SHA256");
  EXPECT_EQ(refusal(p256, Json{{"alg", "ECDSA-SHA384"}, {"data", data}}),
            "alg:422 alg: 'ECDSA-SHA384' is not for this key: the key is EC P-256, which makes "
            "ECDSA-SHA256");
  EXPECT_EQ(refusal(TestKey::shared(), Json{{"alg", "Ed25519"}, {"data", data}}),
            "alg:422 alg: 'Ed25519' is not for this key: the key is RSA, which makes RSA-SHA256, "
            "RSA-PSS-SHA256, RSA-PSS-SHA512");
  EXPECT_EQ(refusal(p256, Json{{"format", "pem"}, {"data", data}}),
            "format:422 format: must be \"der\" or \"raw\" (r||s)");
  EXPECT_EQ(refusal(TestKey::shared(), Json{{"format", "raw"}, {"data", data}}),
            "format:422 format: applies to ECDSA only");
  EXPECT_EQ(refusal(p256, Json{{"salt_len", 32}, {"data", data}}),
            "salt_len:422 salt_len: applies to RSA-PSS only");
  // Verification with a peer key of another type is refused the same way.
  EXPECT_THROW(RawScheme().verify(
                   Json{{"alg", "RSA-SHA256"}, {"data", data}, {"signature", "AA=="}}, p256.peer()),
               SchemeError);
}

}  // namespace
}  // namespace p11signd::schemes
