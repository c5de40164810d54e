// Certificates and requests signed by the token key, verified by OpenSSL.
#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "pkcs11/certificate.h"
#include "pkcs11/public_key.h"
#include "tests/testing/token_fixture.h"

namespace p11signd::testing {
namespace {

using pkcs11::Error;

X509* parse_cert(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return cert;
}

std::string name_of(X509_NAME* name) {
  char buf[256];
  X509_NAME_oneline(name, buf, sizeof buf);
  return buf;
}

TEST_F(TokenTest, SelfSignedCertificateVerifiesAndIsStoredWithTheKey) {
  generate("shop");
  EXPECT_FALSE(pkcs11::read_certificate(*token_, "shop").has_value());
  const std::string pem = pkcs11::make_self_signed_certificate(
      *token_, {"shop"}, "CN=shop.example,O=Example\\, Ltd,C=BG", 30, /*replace=*/false);
  X509* cert = parse_cert(pem);
  ASSERT_NE(cert, nullptr);
  EVP_PKEY* pub = X509_get0_pubkey(cert);
  EXPECT_EQ(X509_verify(cert, pub), 1);
  EXPECT_EQ(spki_der(pub), key("shop").spki_der);
  EXPECT_EQ(name_of(X509_get_subject_name(cert)), "/CN=shop.example/O=Example, Ltd/C=BG");
  EXPECT_EQ(X509_get_version(cert), X509_VERSION_3);
  X509_free(cert);
  EXPECT_EQ(pkcs11::read_certificate(*token_, "shop"), pem);

  // A second certificate replaces the first only when asked to; otherwise the first stays.
  EXPECT_THROW(pkcs11::make_self_signed_certificate(*token_, {"shop"}, "/CN=other", 1, false),
               pkcs11::CertificateExists);
  EXPECT_EQ(pkcs11::read_certificate(*token_, "shop"), pem);
  const std::string again =
      pkcs11::make_self_signed_certificate(*token_, {"shop"}, "/CN=renewed", 1, /*replace=*/true);
  EXPECT_EQ(pkcs11::read_certificate(*token_, "shop"), again);
}

// CKA_MODIFIABLE = false on the key objects does not keep the certificate, an object of its own,
// from being stored and replaced; a key that is not the one asked for is refused.
TEST_F(TokenTest, CertificateForAKeyOtherThanTheOneAdmittedIsRefused) {
  generate("shop");
  EXPECT_THROW(pkcs11::make_self_signed_certificate(*token_, {"shop", "00ff"}, "CN=shop", 1, false),
               Error);
  EXPECT_THROW(pkcs11::make_certificate_request(*token_, {"shop", "00ff"}, "CN=shop"), Error);
  EXPECT_FALSE(pkcs11::read_certificate(*token_, "shop").has_value());
  const std::string fingerprint = key("shop").fingerprint_sha256;
  EXPECT_NO_THROW(
      pkcs11::make_self_signed_certificate(*token_, {"shop", fingerprint}, "CN=shop", 1, false));
}

TEST_F(TokenTest, CertificateRequestVerifies) {
  generate("shop");
  const std::string pem = pkcs11::make_certificate_request(*token_, {"shop"}, "CN=shop.example");
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509_REQ* req = PEM_read_bio_X509_REQ(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  ASSERT_NE(req, nullptr);
  EVP_PKEY* pub = X509_REQ_get0_pubkey(req);
  EXPECT_EQ(X509_REQ_verify(req, pub), 1);
  EXPECT_EQ(spki_der(pub), key("shop").spki_der);
  X509_REQ_free(req);
}

TEST_F(TokenTest, BadSubjectOrDaysNameTheProblem) {
  generate("shop");
  auto message = [&](const std::string& subject, unsigned days) {
    try {
      pkcs11::make_self_signed_certificate(*token_, {"shop"}, subject, days, false);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("", 30).find("empty"), std::string::npos);
  EXPECT_NE(message("XYZ=1", 30).find("'XYZ'"), std::string::npos);
  EXPECT_NE(message("CN", 30).find("TYPE=value"), std::string::npos);
  EXPECT_NE(message("CN=x", 0).find("days"), std::string::npos);
  EXPECT_NE(message("CN=x", 30).find("no error"), std::string::npos);
}

}  // namespace
}  // namespace p11signd::testing
