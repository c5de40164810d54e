#include "schemes/peer_key.h"

#include <gtest/gtest.h>

#include "common/encoding.h"
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
  }
  // PSS with the wrong salt length, and PKCS#1 read as PSS, do not pass.
  const Bytes pss20 = key.sign({SignAlg::kRsaPssSha256, 20}, data);
  EXPECT_FALSE(peer.verify({SignAlg::kRsaPssSha256, 32}, data, pss20));
  const Bytes pkcs1 = key.sign({SignAlg::kRsaPkcs1Sha256, 0}, data);
  EXPECT_FALSE(peer.verify({SignAlg::kRsaPssSha256, 32}, data, pkcs1));
}

}  // namespace
}  // namespace p11signd::schemes
