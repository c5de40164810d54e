// Known answers from the RFCs (schemes/testdata/jws/, README there): RFC 8037 A.4, an Ed25519 JWS
// signed byte for byte (Ed25519 is deterministic), and RFC 7515 A.3, an ES256 JWS that can only be
// verified (ECDSA is randomised).
#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <memory>

#include "common/encoding.h"
#include "common/openssl_ptr.h"
#include "common/public_key.h"
#include "schemes/jws.h"
#include "schemes/peer_key.h"
#include "schemes/testing/test_key.h"

namespace p11signd::schemes {
namespace {

using testing::read_testdata;
using testing::TestKey;

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

// One base64url member of a JWK file in testdata/jws.
Bytes jwk_member(const std::string& file, const char* member) {
  const Json jwk = Json::parse(read_testdata("jws/" + file));
  const auto bytes = base64url_decode(jwk.at(member).get<std::string>());
  if (!bytes) throw std::runtime_error(file + ": " + member + " is not base64url");
  return *bytes;
}

// The RFC's private key as a TestKey: OpenSSL makes the key from its 32-byte seed, and TestKey
// reads it as the PKCS#8 PEM an import would hand in.
TestKey ed25519_key_from_seed(const Bytes& seed) {
  EvpPkeyPtr key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size()));
  if (!key) throw std::runtime_error("OpenSSL refused the Ed25519 seed");
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return TestKey::from_pem(std::string_view(data, static_cast<std::size_t>(n)));
}

PeerKey ed25519_peer(const Bytes& x) {
  EvpPkeyPtr key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, x.data(), x.size()));
  if (!key) throw std::runtime_error("OpenSSL refused the Ed25519 public key");
  return PeerKey::from_spki_der(spki_der(key.get()));
}

// A P-256 public key from its JWK coordinates: the uncompressed point 04||x||y (SEC 1 2.3.3).
PeerKey p256_peer(const Bytes& x, const Bytes& y) {
  Bytes point{0x04};
  point.insert(point.end(), x.begin(), x.end());
  point.insert(point.end(), y.begin(), y.end());
  OsslParamBldPtr build(OSSL_PARAM_BLD_new());
  OSSL_PARAM_BLD_push_utf8_string(build.get(), OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0);
  OSSL_PARAM_BLD_push_octet_string(build.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                   point.size());
  OsslParamPtr params(OSSL_PARAM_BLD_to_param(build.get()));
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    throw std::runtime_error("OpenSSL refused the P-256 point");
  }
  EvpPkeyPtr owned(key);
  return PeerKey::from_spki_der(spki_der(key));
}

TEST(JwsKnownAnswer, Rfc8037A4Ed25519SignsByteForByte) {
  const TestKey key = ed25519_key_from_seed(jwk_member("rfc8037-a1-ed25519-private.jwk.json", "d"));
  // The key is the RFC's: its public half is A.1's x.
  EXPECT_EQ(key.peer().spki_der(),
            ed25519_peer(jwk_member("rfc8037-a1-ed25519-private.jwk.json", "x")).spki_der());
  const Json out = JwsScheme().sign(
      Json{{"payload_b64", base64url_encode(as_bytes("Example of Ed25519 signing"))}}, {},
      key.signer());
  EXPECT_EQ(out["jws"], trimmed(read_testdata("jws/rfc8037-a4-ed25519.jws")));
}

TEST(JwsKnownAnswer, Rfc8037A4VerifiesWithTheA2PublicKey) {
  const PeerKey peer = ed25519_peer(jwk_member("rfc8037-a2-ed25519-public.jwk.json", "x"));
  const std::string jws = trimmed(read_testdata("jws/rfc8037-a4-ed25519.jws"));
  const Json ok = JwsScheme().verify(Json{{"jws", jws}, {"alg", "EdDSA"}}, peer);
  ASSERT_TRUE(ok["valid"].get<bool>()) << ok;
  EXPECT_EQ(ok["header"], Json({{"alg", "EdDSA"}}));
  EXPECT_EQ(ok["payload_b64"], base64url_encode(as_bytes("Example of Ed25519 signing")));
  // One character of the signature changed: refused.
  std::string forged = jws;
  forged[forged.size() - 3] = forged[forged.size() - 3] == 'K' ? 'L' : 'K';
  EXPECT_FALSE(JwsScheme().verify(Json{{"jws", forged}}, peer)["valid"].get<bool>());
}

TEST(JwsKnownAnswer, Rfc7515A3Es256VerifiesWithItsJwk) {
  const std::string jwk = "rfc7515-a3-es256-public.jwk.json";
  const PeerKey peer = p256_peer(jwk_member(jwk, "x"), jwk_member(jwk, "y"));
  ASSERT_EQ(peer.type(), KeyType::kEcP256);
  const std::string jws = trimmed(read_testdata("jws/rfc7515-a3-es256.jws"));
  const Json ok = JwsScheme().verify(Json{{"jws", jws}}, peer);
  ASSERT_TRUE(ok["valid"].get<bool>()) << ok;
  EXPECT_EQ(ok["header"], Json({{"alg", "ES256"}}));
  EXPECT_EQ(ok["payload"]["iss"], "joe");
  EXPECT_EQ(ok["payload"]["exp"], 1300819380);
  // Pinned to the wrong family, or checked against another P-256 key: refused.
  EXPECT_FALSE(JwsScheme().verify(Json{{"jws", jws}, {"alg", "RS256"}}, peer)["valid"].get<bool>());
  EXPECT_FALSE(JwsScheme()
                   .verify(Json{{"jws", jws}}, TestKey::generate(KeyType::kEcP256).peer())["valid"]
                   .get<bool>());
}

}  // namespace
}  // namespace p11signd::schemes
