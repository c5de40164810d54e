#pragma once
// X.509 with the token key: a self-signed v3 certificate (what myPOS asks merchants to upload) and
// a PKCS#10 request (for a CA), both built by OpenSSL and signed on the token through
// token_evp_key.h. Certificates are stored on the token as CKO_CERTIFICATE objects with the key's
// CKA_ID, so they travel with the key.

#include <optional>
#include <string>

#include "pkcs11/token.h"

namespace p11signd::pkcs11 {

// The key a certificate or CSR is made with: its name, and (when not empty) the SHA-256
// fingerprint of the SPKI it must still have; a key of that name with another fingerprint is
// refused (kConflict) instead of being used.
// version: that version of the name (empty: the active one); a certificate belongs to its
// version's CKA_ID. A retired version makes none (kConflict): it neither signs nor is published.
struct CertificateKey {
  std::string name;
  std::string fingerprint_sha256 = {};
  std::optional<unsigned> version = {};
};

// A key's certificate is already on the token and replacing it was not asked for.
class CertificateExists : public Error {
 public:
  using Error::Error;
};

// subject: "CN=shop.example,O=Example Ltd,C=BG" (also "/CN=.../O=..."). days: 1 to 36500.
// With replace, any certificate already stored for the key is replaced (the new one is written
// before the old goes); without, a stored one makes it throw CertificateExists, before the token
// signs anything when the certificate was there already.
std::string make_self_signed_certificate(Token& token, const CertificateKey& key,
                                         const std::string& subject, unsigned days, bool replace);

std::string make_certificate_request(Token& token, const CertificateKey& key,
                                     const std::string& subject);

// PEM of the certificate stored with the CKA_ID of the key (that version of it, when version is
// set), or nullopt. Throws Error(kNotFound) for an unknown key or version.
std::optional<std::string> read_certificate(Token& token, const std::string& key_name,
                                            std::optional<unsigned> version = {});

}  // namespace p11signd::pkcs11
