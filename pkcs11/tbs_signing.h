#pragma once
// Certificates and requests signed by EC and Ed25519 token keys. OpenSSL lays out the
// to-be-signed part (its own encoder, with the signature algorithm set first); the token signs
// those bytes (sign_message: ECDSA as DER, as X.509 wants it, or pure Ed25519); the signature is
// put back. RSA keys go through token_evp_key.h instead, where OpenSSL drives the signing itself.

#include <openssl/x509.h>

#include "pkcs11/key_registry.h"
#include "pkcs11/token.h"

namespace p11signd::pkcs11 {

// ecdsa-with-SHA256 for P-256, ecdsa-with-SHA384 for P-384, Ed25519 for Ed25519 keys. Throws
// Error (kBadInput for an RSA key; the token's errors) and leaves cert unsigned then.
void sign_certificate_on_token(Token& token, const ResolvedKey& key, X509* cert);
void sign_request_on_token(Token& token, const ResolvedKey& key, X509_REQ* req);

}  // namespace p11signd::pkcs11
