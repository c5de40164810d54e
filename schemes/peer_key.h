#pragma once
// A provider's public key (a [peer.NAME] section), used to verify what the provider sends back:
// RSA, EC P-256, EC P-384 or Ed25519 (common/sign_alg.h KeyType). Loaded from a PEM
// SubjectPublicKeyInfo, a PEM "RSA PUBLIC KEY", a PEM or DER X.509 certificate, or one line of
// base64 DER SPKI (as Swifood and Alipay print their keys). Copies share the key;
// verify() may run on many threads at once.

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include <openssl/evp.h>

#include "common/bytes.h"
#include "common/sign_alg.h"

namespace p11signd::schemes {

class PeerKeyError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class PeerKey {
 public:
  // Throw PeerKeyError with a message saying what the text was taken for and why it failed.
  static PeerKey from_text(std::string_view text);
  static PeerKey from_file(const std::string& path);
  static PeerKey from_spki_der(ByteView der);
  static PeerKey from_certificate_der(ByteView der);

  // True only for req's signature over data (common/public_key.h verify_signature); false, not an
  // error, when this key cannot make req.alg at all (an EC key asked about RSA-SHA256).
  bool verify(const SignRequest& req, ByteView data, ByteView signature) const;

  KeyType type() const;
  Bytes spki_der() const;
  unsigned bits() const;
  EVP_PKEY* get() const { return key_.get(); }

 private:
  explicit PeerKey(std::shared_ptr<EVP_PKEY> key) : key_(std::move(key)) {}
  std::shared_ptr<EVP_PKEY> key_;
};

// The SubjectPublicKeyInfo bytes of a DER certificate, found by walking the TBSCertificate's TLVs
// rather than parsing it: OpenSSL 3 refuses certificates such as the myPOS test certificate
// (zero-length serial), yet the key in them is sound. Throws PeerKeyError when the structure is not
// a certificate.
Bytes spki_from_certificate_der(ByteView der);

}  // namespace p11signd::schemes
