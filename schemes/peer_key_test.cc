#include "schemes/peer_key.h"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/encoding.h"
#include "common/openssl_ptr.h"
#include "schemes/testing/test_key.h"

namespace p11signd::schemes {
namespace {

using testing::read_testdata;

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

TEST(PeerKey, MyposTestCertificateIsRefusedByOpenSslButYieldsItsKey) {
  const std::string cert = read_testdata("mypos/mypos-test-certificate.pem");
  const PeerKey from_cert = PeerKey::from_text(cert);
  const PeerKey from_pem = PeerKey::from_text(read_testdata("mypos/mypos-test-public-key.pem"));
  EXPECT_EQ(from_cert.spki_der(), from_pem.spki_der());
  EXPECT_EQ(from_cert.bits(), 1024u);
}

TEST(PeerKey, WalksCertificateDerToTheSpki) {
  // The published key file is exactly the SPKI inside the certificate.
  const PeerKey pem = PeerKey::from_text(read_testdata("mypos/mypos-test-public-key.pem"));
  const std::string cert_pem = read_testdata("mypos/mypos-test-certificate.pem");
  std::string b64;
  for (std::size_t pos = 0; pos < cert_pem.size();) {
    const auto nl = cert_pem.find('\n', pos);
    const std::string line = cert_pem.substr(pos, nl - pos);
    if (line.rfind("-----", 0) != 0) b64 += line;
    pos = nl == std::string::npos ? cert_pem.size() : nl + 1;
  }
  const auto der = base64_decode(b64);
  ASSERT_TRUE(der);
  EXPECT_EQ(spki_from_certificate_der(*der), pem.spki_der());
  EXPECT_EQ(PeerKey::from_text(b64).spki_der(), pem.spki_der());  // bare base64 certificate
}

TEST(PeerKey, TruncatedCertificateIsAnError) {
  const Bytes junk = {0x30, 0x82, 0x01, 0x90, 0x30, 0x81};
  EXPECT_THROW(spki_from_certificate_der(junk), PeerKeyError);
  const Bytes not_seq = {0x02, 0x01, 0x00};
  EXPECT_THROW(spki_from_certificate_der(not_seq), PeerKeyError);
}

TEST(PeerKey, OneLineBase64SpkiMatchesPem) {
  const PeerKey line = PeerKey::from_text(trimmed(read_testdata("swifood/push_public_key.b64")));
  EXPECT_EQ(line.bits(), 2048u);
  const PeerKey a = PeerKey::from_text(read_testdata("swifood/public_key.pem"));
  const std::string pem = read_testdata("swifood/public_key.pem");
  std::string b64;
  for (const char c : pem.substr(pem.find('\n') + 1, pem.find("-----END") - pem.find('\n') - 1)) {
    if (c != '\n') b64.push_back(c);
  }
  EXPECT_EQ(PeerKey::from_text(b64).spki_der(), a.spki_der());
}

std::string pem_of(const char* name, const Bytes& der) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio(bio.get(), name, "", der.data(), static_cast<long>(der.size()));
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

// A well-formed self-signed certificate, which OpenSSL parses itself (the other path of
// from_certificate_der).
Bytes self_signed_der(EVP_PKEY* key) {
  X509Ptr x(X509_new());
  X509_set_version(x.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x.get()), 7);
  X509_gmtime_adj(X509_getm_notBefore(x.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(x.get()), 3600);
  X509_NAME* name = X509_get_subject_name(x.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("t"),
                             -1, -1, 0);
  X509_set_issuer_name(x.get(), name);
  X509_set_pubkey(x.get(), key);
  // Ed25519 signs the certificate itself: no digest is named for it.
  const EVP_MD* md = EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519 ? nullptr : EVP_sha256();
  if (X509_sign(x.get(), key, md) == 0) throw std::runtime_error("X509_sign failed");
  unsigned char* out = nullptr;
  const int n = i2d_X509(x.get(), &out);
  Bytes der(out, out + n);
  OPENSSL_free(out);
  return der;
}

TEST(PeerKey, OrdinaryCertificateAndPkcs1PublicKey) {
  const auto& key = testing::TestKey::shared();
  const Bytes spki = key.peer().spki_der();
  const Bytes cert = self_signed_der(key.get());
  EXPECT_EQ(PeerKey::from_text(pem_of("CERTIFICATE", cert)).spki_der(), spki);
  EXPECT_EQ(spki_from_certificate_der(cert), spki);  // the walk agrees with OpenSSL's parser
  unsigned char* out = nullptr;
  const int n = i2d_PublicKey(key.get(), &out);  // PKCS#1 RSAPublicKey
  const Bytes pkcs1(out, out + n);
  OPENSSL_free(out);
  EXPECT_EQ(PeerKey::from_text(pem_of("RSA PUBLIC KEY", pkcs1)).spki_der(), spki);
}

// Base64 DER is tried as an SPKI, then as a certificate: when both fail, the error must say so and
// not blame only the certificate reading of what may have been meant as a key.
TEST(PeerKey, Base64DerThatIsNeitherSpkiNorCertificateSaysBoth) {
  unsigned char* out = nullptr;
  const int n = i2d_PublicKey(testing::TestKey::shared().get(), &out);  // PKCS#1 RSAPublicKey
  const Bytes pkcs1(out, out + n);
  OPENSSL_free(out);
  for (const std::string& text : {base64_encode(pkcs1), std::string("AAAA")}) {
    try {
      PeerKey::from_text(text);
      FAIL() << text;
    } catch (const PeerKeyError& e) {
      const std::string what = e.what();
      EXPECT_EQ(what.rfind("base64 DER is neither a SubjectPublicKeyInfo nor an X.509 certificate "
                           "(SPKI: ",
                           0),
                0u)
          << what;
      EXPECT_NE(what.find("; certificate: "), std::string::npos) << what;
    }
  }
}

Bytes spki_of(EVP_PKEY* key) {
  unsigned char* out = nullptr;
  const int n = i2d_PUBKEY(key, &out);
  Bytes spki(out, out + n);
  OPENSSL_free(out);
  return spki;
}

// EC P-256, P-384 and Ed25519 keys load from every form an RSA key does, and verify their own
// algorithms; an alg of another family is false, not an error.
TEST(PeerKey, EcAndEd25519KeysLoadFromSpkiPemAndCertificates) {
  for (const KeyType type : {KeyType::kEcP256, KeyType::kEcP384, KeyType::kEd25519}) {
    const auto key = testing::TestKey::generate(type);
    const Bytes spki = spki_of(key.get());
    const PeerKey from_spki = PeerKey::from_spki_der(spki);
    EXPECT_EQ(from_spki.type(), type);
    EXPECT_EQ(PeerKey::from_text(pem_of("PUBLIC KEY", spki)).spki_der(), spki);
    EXPECT_EQ(PeerKey::from_text(base64_encode(spki)).spki_der(), spki);
    const Bytes cert = self_signed_der(key.get());
    EXPECT_EQ(PeerKey::from_text(pem_of("CERTIFICATE", cert)).type(), type);
    EXPECT_EQ(spki_from_certificate_der(cert), spki);

    const Bytes data = {1, 2, 3};
    const SignAlg alg = type == KeyType::kEcP256   ? SignAlg::kEcdsaSha256
                        : type == KeyType::kEcP384 ? SignAlg::kEcdsaSha384
                                                   : SignAlg::kEd25519;
    const Bytes sig = key.sign({alg, 0}, data);
    EXPECT_TRUE(from_spki.verify({alg, 0}, data, sig));
    EXPECT_FALSE(from_spki.verify({alg, 0}, Bytes{1, 2, 4}, sig));
    EXPECT_FALSE(from_spki.verify({SignAlg::kRsaPkcs1Sha256, 0}, data, sig));
    EXPECT_EQ(ERR_peek_error(), 0u);
  }
}

TEST(PeerKey, KeysOfOtherTypesAreRefusedNamingTheTypes) {
  EVP_PKEY* x25519 = EVP_PKEY_Q_keygen(nullptr, nullptr, "X25519");
  EVP_PKEY* p521 = EVP_EC_gen("P-521");
  ASSERT_NE(x25519, nullptr);
  ASSERT_NE(p521, nullptr);
  for (EVP_PKEY* key : {x25519, p521}) {
    const Bytes spki = spki_of(key);
    EVP_PKEY_free(key);
    try {
      PeerKey::from_spki_der(spki);
      FAIL();
    } catch (const PeerKeyError& e) {
      EXPECT_NE(std::string(e.what()).find("RSA, EC P-256, EC P-384 and Ed25519"),
                std::string::npos)
          << e.what();
    }
  }
}

TEST(PeerKey, FromFileNamesThePath) {
  const std::string path =
      ::testing::TempDir() + "peer_key_test." + std::to_string(::getpid()) + ".pem";
  { std::ofstream(path) << "not a key"; }
  try {
    PeerKey::from_file(path);
    FAIL();
  } catch (const PeerKeyError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos);
  }
  std::filesystem::remove(path);
}

TEST(PeerKey, RejectsTextThatIsNoKey) {
  EXPECT_THROW(PeerKey::from_text("hello"), PeerKeyError);
  EXPECT_THROW(PeerKey::from_text("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
               PeerKeyError);
  EXPECT_THROW(PeerKey::from_text("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"),
               PeerKeyError);
  EXPECT_THROW(PeerKey::from_file("/nonexistent/peer.pem"), PeerKeyError);
}

TEST(PeerKey, VerifiesBothPaddingsAndRefusesMismatches) {
  const auto& key = testing::TestKey::shared();
  const PeerKey peer = key.peer();
  const Bytes data = {1, 2, 3};
  for (const SignRequest req :
       {SignRequest{SignAlg::kRsaPkcs1Sha256, 0}, SignRequest{SignAlg::kRsaPssSha256, 32},
        SignRequest{SignAlg::kRsaPssSha256, 20}}) {
    Bytes sig = key.sign(req, data);
    EXPECT_TRUE(peer.verify(req, data, sig));
    EXPECT_FALSE(peer.verify(req, Bytes{1, 2, 4}, sig));
    EXPECT_FALSE(testing::TestKey::other().peer().verify(req, data, sig));
    sig[10] ^= 1;
    EXPECT_FALSE(peer.verify(req, data, sig));
    EXPECT_EQ(ERR_peek_error(),
              0u);  // a mismatch leaves no error queued for the thread's next user
  }
  // PSS with the wrong salt length, and PKCS#1 read as PSS, do not pass.
  const Bytes pss20 = key.sign({SignAlg::kRsaPssSha256, 20}, data);
  EXPECT_FALSE(peer.verify({SignAlg::kRsaPssSha256, 32}, data, pss20));
  const Bytes pkcs1 = key.sign({SignAlg::kRsaPkcs1Sha256, 0}, data);
  EXPECT_FALSE(peer.verify({SignAlg::kRsaPssSha256, 32}, data, pkcs1));
}

}  // namespace
}  // namespace p11signd::schemes
