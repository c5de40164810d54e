// Elliptic-curve keys on the token (ECDSA P-256, P-384, Ed25519) and RSA-PSS-SHA512: generated and
// imported, protected like RSA keys, signing checked by OpenSSL against the public key the token
// layer publishes, RFC 8032 known answers, certificates and requests, recovery.
#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cstring>

#include "common/ecdsa_signature.h"
#include "common/encoding.h"
#include "pkcs11/attributes.h"
#include "pkcs11/certificate.h"
#include "pkcs11/public_key.h"
#include "tests/testing/token_fixture.h"

namespace p11signd::testing {
namespace {

using pkcs11::Error;
using pkcs11::ErrorCategory;

const KeyShape kP256{KeyType::kEcP256, 256};
const KeyShape kP384{KeyType::kEcP384, 384};
const KeyShape kEd25519{KeyType::kEd25519, 256};

// The one algorithm each EC key type makes.
SignRequest request_for(KeyType type, EcdsaEncoding encoding = EcdsaEncoding::kRaw) {
  switch (type) {
    case KeyType::kEcP256:
      return {SignAlg::kEcdsaSha256, 0, encoding};
    case KeyType::kEcP384:
      return {SignAlg::kEcdsaSha384, 0, encoding};
    default:
      return {SignAlg::kEd25519};
  }
}

std::vector<CK_MECHANISM_TYPE> allowed(pkcs11::Token& token, CK_OBJECT_HANDLE object) {
  const auto bytes = token.with_admin_session([&](const pkcs11::Module& m, CK_SESSION_HANDLE s) {
    return pkcs11::read_attribute(m, s, object, CKA_ALLOWED_MECHANISMS);
  });
  std::vector<CK_MECHANISM_TYPE> out;
  if (!bytes || bytes->empty()) return out;
  out.resize(bytes->size() / sizeof(CK_MECHANISM_TYPE));
  std::memcpy(out.data(), bytes->data(), out.size() * sizeof(CK_MECHANISM_TYPE));
  std::sort(out.begin(), out.end());
  return out;
}

class EcKeys : public TokenTest, public ::testing::WithParamInterface<KeyShape> {};

TEST_P(EcKeys, GeneratedKeyIsProtectedAndSignsWhatOpenSslVerifies) {
  const KeyShape shape = GetParam();
  generate("k", shape);
  const auto k = key("k");
  EXPECT_EQ(k.type, shape.type);
  EXPECT_EQ(k.bits, shape.bits);
  EXPECT_EQ(key_type_of(k.spki_der), shape.type) << "the SPKI is the curve's";
  EXPECT_FALSE(k.extractable);
  EXPECT_TRUE(k.sensitive);
  EXPECT_TRUE(k.local);
  const CK_MECHANISM_TYPE mechanism = shape.type == KeyType::kEd25519 ? CKM_EDDSA : CKM_ECDSA;
  EXPECT_EQ(allowed(*token_, k.private_key), std::vector<CK_MECHANISM_TYPE>{mechanism});

  pkcs11::Signer signer(*token_);
  const auto data = as_bytes("amount=20.00&currency=EUR");
  for (const auto encoding : {EcdsaEncoding::kRaw, EcdsaEncoding::kDer}) {
    const SignRequest req = request_for(shape.type, encoding);
    const Bytes sig = signer.sign("k", req, data);
    if (shape.type != KeyType::kEd25519 && encoding == EcdsaEncoding::kRaw) {
      EXPECT_EQ(sig.size(), 2 * ecdsa_half_len(shape.type));
    }
    if (encoding == EcdsaEncoding::kDer && shape.type != KeyType::kEd25519) {
      EXPECT_EQ(sig.front(), 0x30) << "a DER SEQUENCE";
    }
    EXPECT_TRUE(verifies("k", req, data, sig));
    EXPECT_FALSE(verifies("k", req, as_bytes("amount=20.01&currency=EUR"), sig));
  }
  // Empty and large messages, as for RSA.
  const Bytes empty, big(1 << 20, 0xa5);
  const SignRequest req = request_for(shape.type);
  EXPECT_TRUE(verifies("k", req, empty, signer.sign("k", req, empty)));
  EXPECT_TRUE(verifies("k", req, big, signer.sign("k", req, big)));
}

TEST_P(EcKeys, AnAlgorithmTheKeyTypeCannotMakeIsBadInputNamingBoth) {
  generate("k", GetParam());
  pkcs11::Signer signer(*token_);
  for (const SignAlg alg :
       {SignAlg::kRsaPkcs1Sha256, SignAlg::kRsaPssSha256, SignAlg::kRsaPssSha512,
        SignAlg::kEcdsaSha256, SignAlg::kEcdsaSha384, SignAlg::kEd25519}) {
    if (key_can_sign(GetParam().type, alg)) continue;
    try {
      signer.sign("k", {alg}, as_bytes("x"));
      ADD_FAILURE() << to_string(alg);
    } catch (const Error& e) {
      EXPECT_EQ(e.category(), ErrorCategory::kBadInput);
      EXPECT_NE(std::string(e.what()).find(std::string(to_string(GetParam().type))),
                std::string::npos)
          << e.what();
      EXPECT_NE(std::string(e.what()).find(std::string(to_string(alg))), std::string::npos)
          << e.what();
    }
  }
  // The signer still works after a refused request.
  const SignRequest req = request_for(GetParam().type);
  EXPECT_TRUE(verifies("k", req, as_bytes("x"), signer.sign("k", req, as_bytes("x"))));
}

TEST_P(EcKeys, CertificateAndRequestVerifyWithTheKeysPublicKey) {
  generate("shop", GetParam());
  const std::string pem =
      pkcs11::make_self_signed_certificate(*token_, {"shop"}, "CN=shop.example", 30, false);
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  ASSERT_NE(cert, nullptr);
  EXPECT_EQ(spki_der(X509_get0_pubkey(cert)), key("shop").spki_der);
  EXPECT_EQ(X509_verify(cert, X509_get0_pubkey(cert)), 1);
  const int expected_nid = GetParam().type == KeyType::kEcP256   ? NID_ecdsa_with_SHA256
                           : GetParam().type == KeyType::kEcP384 ? NID_ecdsa_with_SHA384
                                                                 : NID_ED25519;
  EXPECT_EQ(X509_get_signature_nid(cert), expected_nid);
  X509_free(cert);
  EXPECT_EQ(pkcs11::read_certificate(*token_, "shop"), pem);

  const std::string csr = pkcs11::make_certificate_request(*token_, {"shop"}, "CN=shop.example");
  bio = BIO_new_mem_buf(csr.data(), static_cast<int>(csr.size()));
  X509_REQ* req = PEM_read_bio_X509_REQ(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  ASSERT_NE(req, nullptr);
  EXPECT_EQ(X509_REQ_verify(req, X509_REQ_get0_pubkey(req)), 1);
  EXPECT_EQ(spki_der(X509_REQ_get0_pubkey(req)), key("shop").spki_der);
  X509_REQ_free(req);
}

// Every kind of lost state is repaired for EC keys exactly as for RSA, and the key signs again.
TEST_P(EcKeys, RecoversFromLostSessionsLoginsAndHandles) {
  generate("k", GetParam());
  pkcs11::Signer signer(*token_);
  const SignRequest req = request_for(GetParam().type);
  const auto data = as_bytes("recover me");
  unsigned recoveries = 0;
  for (const CK_RV rv :
       {CKR_SESSION_HANDLE_INVALID, CKR_USER_NOT_LOGGED_IN, CKR_KEY_HANDLE_INVALID}) {
    faults::sign_rv = rv;
    faults::sign_times = 1;
    EXPECT_TRUE(verifies("k", req, data, signer.sign("k", req, data))) << pkcs11::rv_name(rv);
    EXPECT_EQ(token_->recoveries(), ++recoveries);
  }
  faults::sign_rv = CKR_DATA_LEN_RANGE;  // bad input: not retried
  faults::sign_times = 1;
  EXPECT_THROW(signer.sign("k", req, data), Error);
  EXPECT_TRUE(verifies("k", req, data, signer.sign("k", req, data)));
}

INSTANTIATE_TEST_SUITE_P(Curves, EcKeys, ::testing::Values(kP256, kP384, kEd25519),
                         [](const auto& param_info) {
                           std::string name = to_string(param_info.param);
                           std::replace_if(
                               name.begin(), name.end(), [](char c) { return !std::isalnum(c); },
                               '_');
                           return name;
                         });

// A PEM of an in-memory key, as a merchant would bring it.
std::string pkcs8_pem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PKCS8PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(len));
  BIO_free(bio);
  return pem;
}

void import_pem(pkcs11::Token& token, const std::string& name, std::string pem) {
  pkcs11::import_key(token, name, {name, {}}, pkcs11::Secret(std::move(pem)));
}

// RFC 8032 section 7.1, TEST 1 to 3: secret key, message, signature. Pure Ed25519 is deterministic,
// so the token's signature through an imported key must be these bytes exactly.
struct Rfc8032Vector {
  const char* secret_key;
  const char* message;
  const char* signature;
};
constexpr Rfc8032Vector kRfc8032[] = {
    {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
     "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
    {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
     "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
    {"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
     "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
};

TEST_F(TokenTest, Ed25519Rfc8032VectorsThroughImportedKeys) {
  open();
  int n = 0;
  for (const auto& v : kRfc8032) {
    const std::string name = "rfc8032-" + std::to_string(++n);
    const Bytes secret = *hex_decode(v.secret_key);
    EVP_PKEY* pkey =
        EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, secret.data(), secret.size());
    ASSERT_NE(pkey, nullptr);
    import_pem(*token_, name, pkcs8_pem(pkey));
    EVP_PKEY_free(pkey);
    add_key(pkcs11::KeySpec{name, name, {}});
    EXPECT_FALSE(key(name).local) << "imported";
    EXPECT_EQ(key(name).type, KeyType::kEd25519);
    pkcs11::Signer signer(*token_);
    const Bytes message = *hex_decode(v.message);
    EXPECT_EQ(hex_encode(signer.sign(name, {SignAlg::kEd25519}, message)), v.signature) << name;
  }
}

TEST_F(TokenTest, ImportedEcKeysSignAndAreNotImportedTwice) {
  open();
  for (const KeyType type : {KeyType::kEcP256, KeyType::kEcP384}) {
    EVP_PKEY* pkey = EVP_EC_gen(type == KeyType::kEcP256 ? "P-256" : "P-384");
    ASSERT_NE(pkey, nullptr);
    const std::string pem = pkcs8_pem(pkey);
    const Bytes expected_spki = spki_der(pkey);
    EVP_PKEY_free(pkey);
    const std::string name = type == KeyType::kEcP256 ? "p256" : "p384";
    import_pem(*token_, name, pem);
    add_key(pkcs11::KeySpec{name, name, {}});
    EXPECT_EQ(key(name).spki_der, expected_spki) << "the public key is the PEM's";
    EXPECT_FALSE(key(name).extractable);
    EXPECT_TRUE(key(name).sensitive);
    pkcs11::Signer signer(*token_);
    const SignRequest req = request_for(type);
    EXPECT_TRUE(verifies(name, req, as_bytes("m"), signer.sign(name, req, as_bytes("m"))));
    try {
      import_pem(*token_, name + "-again", pem);
      ADD_FAILURE() << "the same key imported twice";
    } catch (const Error& e) {
      EXPECT_EQ(e.category(), ErrorCategory::kConflict);
      EXPECT_NE(std::string(e.what()).find("'" + name + "'"), std::string::npos) << e.what();
    }
  }
}

TEST_F(TokenTest, ImportRefusesCurvesItDoesNotOffer) {
  open();
  EVP_PKEY* pkey = EVP_EC_gen("secp521r1");
  ASSERT_NE(pkey, nullptr);
  const std::string pem = pkcs8_pem(pkey);
  EVP_PKEY_free(pkey);
  try {
    import_pem(*token_, "p521", pem);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kBadInput);
    EXPECT_NE(std::string(e.what()).find("P-256/P-384"), std::string::npos) << e.what();
  }
}

const SignRequest kPss512{SignAlg::kRsaPssSha512};

TEST_F(TokenTest, RsaPssSha512UsesTheCombinedMechanismOnNewKeys) {
  generate("k");
  pkcs11::Signer signer(*token_);
  const auto data = as_bytes("rsa-pss-sha512");
  const Bytes sig = signer.sign("k", kPss512, data);
  EXPECT_EQ(faults::last_sign_mechanism.load(), CKM_SHA512_RSA_PKCS_PSS);
  EXPECT_TRUE(verifies("k", kPss512, data, sig));
  EXPECT_FALSE(verifies("k", {SignAlg::kRsaPssSha256}, data, sig));
  EXPECT_THROW(signer.sign("k", {SignAlg::kRsaPssSha512, 32}, data), Error) << "salt is 64";
}

// A key made before RSA-PSS-SHA512 was offered allows only the four RSA mechanisms of that time;
// CKM_RSA_PKCS_PSS over a SHA-512 digest is one of them.
TEST_F(TokenTest, RsaPssSha512WorksOnKeysWithTheOlderAllowedMechanisms) {
  open();
  const Bytes id = {0x01, 0x02};
  token_->with_admin_session([&](const pkcs11::Module& m, CK_SESSION_HANDLE s) {
    const CK_MECHANISM_TYPE older[] = {CKM_SHA256_RSA_PKCS, CKM_RSA_PKCS, CKM_SHA256_RSA_PKCS_PSS,
                                       CKM_RSA_PKCS_PSS};
    const CK_ULONG bits = 2048;
    const std::uint8_t f4[] = {1, 0, 1};
    pkcs11::Template pub, priv;
    pub.add_bool(CKA_TOKEN, true)
        .add_ulong(CKA_MODULUS_BITS, bits)
        .add_bytes(CKA_PUBLIC_EXPONENT, f4);
    pub.add_string(CKA_LABEL, "older").add_bytes(CKA_ID, id);
    priv.add_bool(CKA_TOKEN, true).add_bool(CKA_PRIVATE, true).add_bool(CKA_SENSITIVE, true);
    priv.add_bool(CKA_EXTRACTABLE, false).add_bool(CKA_SIGN, true);
    priv.add_string(CKA_LABEL, "older").add_bytes(CKA_ID, id);
    priv.add_bytes(CKA_ALLOWED_MECHANISMS,
                   ByteView(reinterpret_cast<const std::uint8_t*>(older), sizeof older));
    CK_MECHANISM mech{CKM_RSA_PKCS_KEY_PAIR_GEN, nullptr, 0};
    CK_OBJECT_HANDLE a = 0, b = 0;
    m.call<&CK_FUNCTION_LIST::C_GenerateKeyPair>(s, &mech, pub.data(), pub.size(), priv.data(),
                                                 priv.size(), &a, &b);
    return 0;
  });
  add_key(pkcs11::KeySpec{"older", "older", {}});
  pkcs11::Signer signer(*token_);
  const auto data = as_bytes("rsa-pss-sha512");
  const Bytes sig = signer.sign("older", kPss512, data);
  EXPECT_EQ(faults::last_sign_mechanism.load(), CKM_RSA_PKCS_PSS);
  EXPECT_TRUE(verifies("older", kPss512, data, sig));
}

TEST_F(TokenTest, RsaPssSha512FallsBackToHashingHereWithoutTheCombinedMechanism) {
  faults::hide_combined_mechanisms = true;
  generate("k");
  EXPECT_FALSE(token_->mechanisms().sha512_rsa_pkcs_pss);
  pkcs11::Signer signer(*token_);
  const auto data = as_bytes("fallback");
  EXPECT_TRUE(verifies("k", kPss512, data, signer.sign("k", kPss512, data)));
  EXPECT_EQ(faults::last_sign_mechanism.load(), CKM_RSA_PKCS_PSS);
}

}  // namespace
}  // namespace p11signd::testing
