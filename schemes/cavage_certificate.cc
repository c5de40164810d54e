#include "schemes/cavage_certificate.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fstream>
#include <memory>
#include <sstream>

#include "common/openssl_ptr.h"

namespace p11signd::schemes {
namespace {

X509Ptr read_x509(std::string_view text) {
  BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  if (!bio) throw CertificateError("out of memory reading the certificate");
  X509* cert = nullptr;
  if (text.find("-----BEGIN") != std::string_view::npos) {
    cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
  } else {
    cert = d2i_X509_bio(bio.get(), nullptr);
  }
  ERR_clear_error();
  if (cert == nullptr) throw CertificateError("is not a PEM or DER X.509 certificate");
  return X509Ptr(cert);
}

std::string serial_hex(const X509* cert) {
  BignumPtr bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr));
  if (!bn || BN_is_negative(bn.get())) throw CertificateError("has no usable serial number");
  char* hex = BN_bn2hex(bn.get());
  if (hex == nullptr) throw CertificateError("out of memory printing the serial number");
  std::string out(hex);
  OPENSSL_free(hex);
  return out;
}

// RFC 4514 (XN_FLAG_RFC2253) but with UTF-8 kept as characters, as Java's X500Principal.getName()
// prints it: banks compare the keyId with what their own (mostly Java) stacks print.
std::string issuer_dn(const X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), X509_get_issuer_name(cert), 0,
                                 XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0) {
    throw CertificateError("has an issuer name that cannot be printed");
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

}  // namespace

SigningCertificate parse_signing_certificate(std::string_view pem_or_der) {
  const X509Ptr cert = read_x509(pem_or_der);
  unsigned char* der = nullptr;
  const int len = i2d_X509(cert.get(), &der);
  if (len <= 0) throw CertificateError("cannot be encoded as DER");
  Bytes bytes(der, der + len);
  OPENSSL_free(der);
  try {
    PeerKey key = PeerKey::from_certificate_der(bytes);
    return SigningCertificate{std::move(bytes), serial_hex(cert.get()), issuer_dn(cert.get()),
                              std::move(key)};
  } catch (const PeerKeyError& e) {
    throw CertificateError(e.what());
  }
}

SigningCertificate load_signing_certificate(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CertificateError("'" + path + "' cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  try {
    return parse_signing_certificate(text.str());
  } catch (const CertificateError& e) {
    throw CertificateError("'" + path + "' " + e.what());
  }
}

}  // namespace p11signd::schemes
