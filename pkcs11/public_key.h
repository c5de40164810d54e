#pragma once
// The public side of a token key in the forms providers ask for: SPKI PEM (myPOS, Carat, Amazon
// Pay), one line of base64 DER (Swifood), JWK (JOSE), and the SHA-256 fingerprint of the DER SPKI.
// Pure OpenSSL; no token calls.

#include <openssl/evp.h>

#include <memory>
#include <string>

#include "common/bytes.h"

namespace p11signd::pkcs11 {

struct EvpPkeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyDeleter>;

// Builds an RSA public key from big-endian modulus and public exponent (CKA_MODULUS,
// CKA_PUBLIC_EXPONENT).
EvpPkeyPtr rsa_public_key(ByteView modulus, ByteView exponent);

Bytes spki_der(EVP_PKEY* key);
std::string spki_pem(ByteView spki_der);
std::string spki_der_base64(ByteView spki_der);
// {"kty":"RSA","n":...,"e":...} plus "kid" when kid is not empty. Members in RFC 7638 order.
std::string jwk(ByteView modulus, ByteView exponent, const std::string& kid = {});
std::string spki_fingerprint_sha256(ByteView spki_der);  // lowercase hex

// Verifies an RSA signature with OpenSSL (tests and the daemon's /verify route use it).
bool verify_rsa(ByteView spki_der, bool pss, unsigned salt_len, ByteView data, ByteView signature);

}  // namespace p11signd::pkcs11
