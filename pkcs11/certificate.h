#pragma once
// X.509 with the token key: a self-signed v3 certificate (what myPOS asks merchants to upload) and
// a PKCS#10 request (for a CA), both built by OpenSSL and signed on the token through
// token_evp_key.h. Certificates are stored on the token as CKO_CERTIFICATE objects with the key's
// CKA_ID, so they travel with the key.

#include <optional>
#include <string>

#include "pkcs11/token.h"

namespace p11signd::pkcs11 {

// subject: "CN=shop.example,O=Example Ltd,C=BG" (also "/CN=.../O=..."). days: 1 to 36500.
// Replaces any certificate already stored for the key (the new one is written before the old goes).
std::string make_self_signed_certificate(Token& token, const std::string& key_name,
                                         const std::string& subject, unsigned days);

std::string make_certificate_request(Token& token, const std::string& key_name,
                                     const std::string& subject);

// PEM of the certificate stored with the key's CKA_ID, or nullopt.
std::optional<std::string> read_certificate(Token& token, const std::string& key_name);

}  // namespace p11signd::pkcs11
