#include "schemes/peer_key.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <fstream>
#include <sstream>

#include "common/encoding.h"
#include "common/openssl_ptr.h"
#include "common/public_key.h"

namespace p11signd::schemes {
namespace {

std::shared_ptr<EVP_PKEY> own(EVP_PKEY* k) { return std::shared_ptr<EVP_PKEY>(k, EVP_PKEY_free); }

// A key of one of the types the product signs with (common/sign_alg.h KeyType); any other (DSA,
// another curve, X25519) could verify nothing a scheme asks for.
std::shared_ptr<EVP_PKEY> require_known_type(EVP_PKEY* k, std::string_view what) {
  if (k == nullptr) {
    ERR_clear_error();  // leave no stale error behind for the next OpenSSL user on this thread
    throw PeerKeyError(std::string(what) + " could not be parsed");
  }
  auto owned = own(k);
  if (!key_type_of(k)) {
    throw PeerKeyError(std::string(what) +
                       " holds a key of a type no scheme here verifies (the types are RSA, EC "
                       "P-256, EC P-384 and Ed25519)");
  }
  return owned;
}

struct Tlv {
  int tag = 0;
  int cls = 0;
  const unsigned char* begin = nullptr;    // first byte of the header
  const unsigned char* content = nullptr;  // first byte of the content
  long length = 0;                         // content length
  const unsigned char* end() const { return content + length; }
};

Tlv read_tlv(const unsigned char* p, const unsigned char* end, std::string_view what) {
  Tlv t;
  t.begin = p;
  const unsigned char* q = p;
  const int rc = ASN1_get_object(&q, &t.length, &t.tag, &t.cls, static_cast<long>(end - p));
  // 0x80: malformed header or content running past the end; indefinite lengths are not DER.
  if ((rc & 0x80) != 0 || rc == 0x21) {
    throw PeerKeyError("certificate: malformed DER at " + std::string(what));
  }
  t.content = q;
  return t;
}

Tlv expect_sequence(const unsigned char* p, const unsigned char* end, std::string_view what) {
  Tlv t = read_tlv(p, end, what);
  if (t.cls != V_ASN1_UNIVERSAL || t.tag != V_ASN1_SEQUENCE) {
    throw PeerKeyError("certificate: expected a SEQUENCE for " + std::string(what));
  }
  return t;
}

std::string strip_whitespace(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c != ' ' && c != '\n' && c != '\r' && c != '\t') out.push_back(c);
  }
  return out;
}

// Reads one PEM block without interpreting its DER, so a certificate OpenSSL would refuse still
// yields bytes.
Bytes pem_block(std::string_view text, std::string& name) {
  BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  char* n = nullptr;
  char* header = nullptr;
  unsigned char* data = nullptr;
  long len = 0;
  if (!bio || PEM_read_bio(bio.get(), &n, &header, &data, &len) != 1) {
    ERR_clear_error();
    throw PeerKeyError("PEM text could not be read (no complete -----BEGIN/END----- block)");
  }
  name = n;
  Bytes out(data, data + len);
  OPENSSL_free(n);
  OPENSSL_free(header);
  OPENSSL_free(data);
  return out;
}

// PEM "RSA PUBLIC KEY" is PKCS#1 RSAPublicKey, without the SPKI wrapping.
std::shared_ptr<EVP_PKEY> pkcs1_key(ByteView der) {
  const unsigned char* p = der.data();
  return require_known_type(d2i_PublicKey(EVP_PKEY_RSA, nullptr, &p, static_cast<long>(der.size())),
                            "RSA PUBLIC KEY");
}

}  // namespace

Bytes spki_from_certificate_der(ByteView der) {
  const unsigned char* const end = der.data() + der.size();
  const Tlv cert = expect_sequence(der.data(), end, "Certificate");
  const Tlv tbs = expect_sequence(cert.content, cert.end(), "TBSCertificate");
  const unsigned char* p = tbs.content;
  Tlv t = read_tlv(p, tbs.end(), "version");
  if (t.cls == V_ASN1_CONTEXT_SPECIFIC && t.tag == 0) {  // [0] version, absent in v1 certificates
    p = t.end();
    t = read_tlv(p, tbs.end(), "serialNumber");
  }
  if (t.cls != V_ASN1_UNIVERSAL || t.tag != V_ASN1_INTEGER) {
    throw PeerKeyError("certificate: expected the serialNumber INTEGER");
  }
  p = t.end();  // the serial may be empty: that is exactly what OpenSSL refuses and this walk
                // allows
  for (const char* what : {"signature", "issuer", "validity", "subject"}) {
    p = expect_sequence(p, tbs.end(), what).end();
  }
  const Tlv spki = expect_sequence(p, tbs.end(), "subjectPublicKeyInfo");
  return Bytes(spki.begin, spki.end());
}

PeerKey PeerKey::from_spki_der(ByteView der) {
  const unsigned char* p = der.data();
  return PeerKey(require_known_type(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())),
                                    "SubjectPublicKeyInfo"));
}

PeerKey PeerKey::from_certificate_der(ByteView der) {
  const unsigned char* p = der.data();
  X509* x = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
  if (x == nullptr) ERR_clear_error();
  if (x != nullptr) {
    EVP_PKEY* k = X509_get_pubkey(x);  // takes a reference of its own
    X509_free(x);
    return PeerKey(require_known_type(k, "certificate public key"));
  }
  return from_spki_der(spki_from_certificate_der(der));
}

PeerKey PeerKey::from_text(std::string_view text) {
  if (text.find("-----BEGIN") != std::string_view::npos) {
    std::string name;
    const Bytes der = pem_block(text, name);
    if (name == "CERTIFICATE" || name == "X509 CERTIFICATE") return from_certificate_der(der);
    if (name == "PUBLIC KEY") return from_spki_der(der);
    if (name == "RSA PUBLIC KEY") return PeerKey(pkcs1_key(der));
    throw PeerKeyError("PEM block '" + name +
                       "' is not a public key or certificate (expected PUBLIC KEY or CERTIFICATE)");
  }
  const auto der = base64_decode(strip_whitespace(text));
  if (!der || der->empty()) throw PeerKeyError("text is neither PEM nor base64 DER");
  std::string spki_problem;
  try {
    return from_spki_der(*der);
  } catch (const PeerKeyError& e) {
    spki_problem = e.what();
  }
  try {
    return from_certificate_der(*der);  // some providers hand out a bare base64 certificate
  } catch (const PeerKeyError& e) {
    // Either reading may have been the one meant: say why each failed.
    throw PeerKeyError(
        "base64 DER is neither a SubjectPublicKeyInfo nor an X.509 certificate (SPKI: " +
        spki_problem + "; certificate: " + e.what() + ")");
  }
}

PeerKey PeerKey::from_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw PeerKeyError(path + ": cannot be opened");
  std::ostringstream ss;
  ss << in.rdbuf();
  try {
    return from_text(ss.str());
  } catch (const PeerKeyError& e) {
    throw PeerKeyError(path + ": " + e.what());
  }
}

bool PeerKey::verify(const SignRequest& req, ByteView data, ByteView signature) const {
  if (!key_can_sign(type(), req.alg)) return false;
  return verify_signature(key_.get(), req, data, signature);
}

KeyType PeerKey::type() const { return *key_type_of(key_.get()); }

Bytes PeerKey::spki_der() const { return p11signd::spki_der(key_.get()); }

unsigned PeerKey::bits() const { return static_cast<unsigned>(EVP_PKEY_get_bits(key_.get())); }

}  // namespace p11signd::schemes
