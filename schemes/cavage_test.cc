#include "schemes/cavage.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "common/encoding.h"
#include "common/openssl_ptr.h"
#include "schemes/cavage_certificate.h"
#include "schemes/json_input.h"
#include "schemes/peer_key.h"
#include "schemes/testing/test_key.h"

namespace p11signd::schemes {
namespace {

using testing::read_testdata;
using testing::TestKey;

const auto kFixedTime = std::chrono::system_clock::from_time_t(1388957500);  // 2014-01-05 21:31:40

std::string temp_file(const std::string& contents) {
  char path[] = "/tmp/cavage_test_XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) throw std::runtime_error("mkstemp failed");
  close(fd);
  std::ofstream(path, std::ios::binary) << contents;
  return path;
}

// A self-signed certificate for key, as a QTSP would issue one (serial, issuer) for the tests.
std::string self_signed_pem(EVP_PKEY* key, long serial) {
  X509Ptr cert(X509_new());
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("Test QSeal"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509_set_pubkey(cert.get(), key);
  X509_sign(cert.get(), key, EVP_sha256());
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert.get());
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

class CavageTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    draft_cert_ = new std::string(temp_file(read_testdata("cavage/draft12-test-certificate.pem")));
    shared_cert_ = new std::string(temp_file(self_signed_pem(TestKey::shared().get(), 0x1234)));
  }
  static void TearDownTestSuite() {
    std::remove(draft_cert_->c_str());
    std::remove(shared_cert_->c_str());
    delete draft_cert_;
    delete shared_cert_;
  }
  static std::string* draft_cert_;
  static std::string* shared_cert_;

  const CavageScheme scheme_{[] { return kFixedTime; }, [] { return std::string("req-id-1"); }};
  const TestKey draft_key_ = TestKey::from_pem(read_testdata("cavage/draft12-test-private.pem"));
};

std::string* CavageTest::draft_cert_ = nullptr;
std::string* CavageTest::shared_cert_ = nullptr;

Json appendix_request() {
  return Json{{"method", "POST"},
              {"url", "https://api.bank.example/v1/payments/sepa-credit-transfers"},
              {"headers",
               {{"X-Request-ID", "99391c7e-ad88-49ec-a2ad-99ddcb1f7721"},
                {"Date", "Sun, 05 Jan 2014 21:31:40 GMT"},
                {"PSU-ID", "PSU-1234"},
                {"Content-Type", "application/json"}}},
              {"body", "{\"hello\": \"world\"}"}};
}

std::string trimmed(std::string s) {
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

// Fixed key, certificate, date and request id: the whole answer is known in advance; the
// signature is `openssl dgst -sha256 -sign` of the signing string (testdata/cavage/README.md).
TEST_F(CavageTest, NextGenPsd2DefaultKnownAnswer) {
  const Json out =
      scheme_.sign(appendix_request(), {{"cavage.certificate", *draft_cert_}}, draft_key_.signer());
  EXPECT_EQ(out["signing_string"], read_testdata("cavage/nextgenpsd2-default.txt"));
  const std::string sig = trimmed(read_testdata("cavage/nextgenpsd2-default.sig"));
  EXPECT_EQ(out["signature"], sig);
  const std::string key_id = "SN=9FA1,CA=CN=Example QTSP CA 1,O=Exämple QTSP,C=DE";
  EXPECT_EQ(out["key_id"], key_id);
  const Json& h = out["headers"];
  EXPECT_EQ(h["Digest"], "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=");
  EXPECT_EQ(h["X-Request-ID"], "99391c7e-ad88-49ec-a2ad-99ddcb1f7721");
  EXPECT_EQ(h["Date"], "Sun, 05 Jan 2014 21:31:40 GMT");
  EXPECT_EQ(h["Signature"], "keyId=\"" + key_id +
                                "\",algorithm=\"rsa-sha256\",headers=\"digest x-request-id psu-id "
                                "date\",signature=\"" +
                                sig + "\"");
  EXPECT_EQ(h["TPP-Signature-Certificate"],
            trimmed(read_testdata("cavage/draft12-test-certificate.der.b64")));
}

TEST_F(CavageTest, FillsRequestIdAndDateWhenAbsent) {
  const Json in = {{"method", "GET"}, {"url", "/v1/accounts?withBalance=true"}};
  const Json out = scheme_.sign(in,
                                {{"cavage.certificate", *shared_cert_},
                                 {"cavage.headers", "(request-target) date digest x-request-id"}},
                                TestKey::shared().signer());
  EXPECT_EQ(out["headers"]["X-Request-ID"], "req-id-1");
  EXPECT_EQ(out["headers"]["Date"], "Sun, 05 Jan 2014 21:31:40 GMT");
  EXPECT_EQ(out["signing_string"],
            "(request-target): get /v1/accounts?withBalance=true\n"
            "date: Sun, 05 Jan 2014 21:31:40 GMT\n"
            "digest: SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
            "x-request-id: req-id-1");
  EXPECT_EQ(out["key_id"], "SN=1234,CA=CN=Test QSeal");
}

TEST_F(CavageTest, RealRequestIdsAreRandomUuids) {
  const CavageScheme scheme{[] { return kFixedTime; }};
  const KeySettings s = {{"cavage.certificate", *shared_cert_}};
  const Json in = {{"method", "GET"}, {"url", "/v1/accounts"}};
  const std::string a = scheme.sign(in, s, TestKey::shared().signer())["headers"]["X-Request-ID"];
  const std::string b = scheme.sign(in, s, TestKey::shared().signer())["headers"]["X-Request-ID"];
  EXPECT_NE(a, b);
  ASSERT_EQ(a.size(), 36u);
  EXPECT_EQ(a[14], '4');
}

TEST_F(CavageTest, Sha512DigestAndKeyIdOverride) {
  const Json out = scheme_.sign(appendix_request(),
                                {{"cavage.certificate", *draft_cert_},
                                 {"cavage.digest", "SHA-512"},
                                 {"cavage.key-id", "SN=9FA1"}},
                                draft_key_.signer());
  EXPECT_EQ(out["headers"]["Digest"].get<std::string>().rfind("SHA-512=", 0), 0u);
  EXPECT_EQ(out["key_id"], "SN=9FA1");
}

TEST_F(CavageTest, SignsAndVerifiesItsOwnAnswer) {
  Json in = appendix_request();
  const Json out = scheme_.sign(in, {{"cavage.certificate", *draft_cert_}}, draft_key_.signer());
  Json headers = in["headers"];
  for (const auto& [k, v] : out["headers"].items()) headers[k] = v;
  const PeerKey peer = PeerKey::from_text(read_testdata("cavage/draft12-test-public.pem"));
  const Json ok = scheme_.verify({{"headers", headers}, {"body", in["body"]}}, peer);
  EXPECT_TRUE(ok["valid"]) << ok.dump();
  EXPECT_EQ(ok["covered_headers"], Json::array({"digest", "x-request-id", "psu-id", "date"}));
  EXPECT_EQ(ok["key_id"], out["key_id"]);

  const Json tampered_body = scheme_.verify({{"headers", headers}, {"body", "{}"}}, peer);
  EXPECT_FALSE(tampered_body["valid"]);
  EXPECT_NE(tampered_body["reason"].get<std::string>().find("Digest"), std::string::npos);

  headers["PSU-ID"] = "PSU-9999";
  const Json tampered_header = scheme_.verify({{"headers", headers}, {"body", in["body"]}}, peer);
  EXPECT_FALSE(tampered_header["valid"]);

  EXPECT_FALSE(scheme_.verify({{"headers", headers}, {"body", in["body"]}},
                              TestKey::other().peer())["valid"]);
}

TEST_F(CavageTest, VerifiesTheAppendixBasicTestWithTheRequestTarget) {
  const Json headers = {{"Host", "example.com"},
                        {"Date", "Sun, 05 Jan 2014 21:31:40 GMT"},
                        {"Signature",
                         "keyId=\"Test\",algorithm=\"rsa-sha256\",headers=\"(request-target) "
                         "host date\",signature=\"" +
                             trimmed(read_testdata("cavage/c2-basic.sig")) + "\""}};
  const PeerKey peer = PeerKey::from_text(read_testdata("cavage/draft12-test-public.pem"));
  const Json ok = scheme_.verify({{"headers", headers},
                                  {"method", "POST"},
                                  {"url", "http://example.com/foo?param=value&pet=dog"}},
                                 peer);
  EXPECT_TRUE(ok["valid"]) << ok.dump();
  // (request-target) needs the method and URL of the request the answer belongs to.
  EXPECT_THROW(scheme_.verify({{"headers", headers}}, peer), SchemeError);
  const Json wrong_path = scheme_.verify(
      {{"headers", headers}, {"method", "POST"}, {"url", "/foo?param=value&pet=cat"}}, peer);
  EXPECT_FALSE(wrong_path["valid"]);
}

TEST_F(CavageTest, VerifyRefusesABodyTheSignatureDoesNotCover) {
  const Json headers = {{"Date", "Sun, 05 Jan 2014 21:31:40 GMT"},
                        {"Signature", "keyId=\"Test\",algorithm=\"rsa-sha256\",signature=\"" +
                                          trimmed(read_testdata("cavage/c1-default.sig")) + "\""}};
  const PeerKey peer = PeerKey::from_text(read_testdata("cavage/draft12-test-public.pem"));
  EXPECT_TRUE(scheme_.verify({{"headers", headers}}, peer)["valid"]);
  const Json out = scheme_.verify({{"headers", headers}, {"body", "{}"}}, peer);
  EXPECT_FALSE(out["valid"]);
  EXPECT_NE(out["reason"].get<std::string>().find("does not cover the body"), std::string::npos);
}

TEST_F(CavageTest, VerifyAnswersMalformedSignaturesAndRefusesMissingOnes) {
  const PeerKey peer = TestKey::shared().peer();
  const Json bad = scheme_.verify({{"headers", {{"Signature", "keyId=\"a\""}}}}, peer);
  EXPECT_FALSE(bad["valid"]);
  EXPECT_NE(bad["reason"].get<std::string>().find("signature is missing"), std::string::npos);
  const Json alg = scheme_.verify(
      {{"headers", {{"Signature", "keyId=\"a\",algorithm=\"hmac-sha256\",signature=\"eA==\""}}}},
      peer);
  EXPECT_FALSE(alg["valid"]);
  EXPECT_THROW(scheme_.verify({{"headers", {{"Date", "x"}}}}, peer), SchemeError);
}

TEST_F(CavageTest, RefusesACertificateOfAnotherKey) {
  try {
    scheme_.sign(appendix_request(), {{"cavage.certificate", *shared_cert_}}, draft_key_.signer());
    FAIL() << "signed with a certificate of another key";
  } catch (const SchemeError& e) {
    EXPECT_EQ(e.field(), "cavage.certificate");
  }
}

TEST_F(CavageTest, RefusesComputedHeadersAndMissingCoveredOnes) {
  Json in = appendix_request();
  in["headers"]["digest"] = "SHA-256=abc";
  EXPECT_THROW(scheme_.sign(in, {{"cavage.certificate", *draft_cert_}}, draft_key_.signer()),
               SchemeError);
  try {
    scheme_.sign(
        appendix_request(),
        {{"cavage.certificate", *draft_cert_}, {"cavage.headers", "digest tpp-redirect-uri"}},
        draft_key_.signer());
    FAIL() << "signed without a covered header";
  } catch (const SchemeError& e) {
    EXPECT_NE(std::string(e.what()).find("tpp-redirect-uri"), std::string::npos);
  }
}

TEST_F(CavageTest, CheckSettingsNamesEachProblem) {
  EXPECT_TRUE(scheme_.check_settings({{"cavage.certificate", *draft_cert_}}).empty());
  EXPECT_EQ(scheme_.check_settings({}).size(), 1u);
  EXPECT_EQ(scheme_.check_settings({{"cavage.certificate", "/nonexistent/cert.pem"}}).size(), 1u);
  for (const auto* headers :
       {"digest signature", "digest digest", "(request-target)?", "a:b", " "}) {
    const auto problems =
        scheme_.check_settings({{"cavage.certificate", *draft_cert_}, {"cavage.headers", headers}});
    EXPECT_EQ(problems.size(), 1u) << headers;
  }
  EXPECT_EQ(scheme_.check_settings({{"cavage.certificate", *draft_cert_}, {"cavage.digest", "MD5"}})
                .size(),
            1u);
}

TEST(CavageCoveredHeaders, DefaultIsTheNextGenPsd2List) {
  const auto c = parse_covered_headers(kCavageDefaultHeaders);
  ASSERT_EQ(c.size(), 6u);
  EXPECT_EQ(c[0].name, "digest");
  EXPECT_FALSE(c[0].if_present);
  EXPECT_EQ(c[2].name, "psu-id");
  EXPECT_TRUE(c[2].if_present);
  EXPECT_EQ(c[5].name, "date");
}

TEST(CavageCertificate, SerialAndIssuerOfTheTestCertificate) {
  const auto cert = parse_signing_certificate(read_testdata("cavage/draft12-test-certificate.pem"));
  EXPECT_EQ(cert.serial_hex, "9FA1");
  EXPECT_EQ(cert.issuer_dn, "CN=Example QTSP CA 1,O=Exämple QTSP,C=DE");
  EXPECT_EQ(base64_encode(cert.der),
            trimmed(read_testdata("cavage/draft12-test-certificate.der.b64")));
  const auto from_der = parse_signing_certificate(std::string(cert.der.begin(), cert.der.end()));
  EXPECT_EQ(from_der.key_id(), cert.key_id());
  EXPECT_THROW(parse_signing_certificate("not a certificate"), CertificateError);
}

}  // namespace
}  // namespace p11signd::schemes
