#pragma once
// The public side of a token key: the OpenSSL key built from CKA_MODULUS and CKA_PUBLIC_EXPONENT
// (RSA) or from the curve and the public point (EC, Ed25519), and the fingerprint it is listed by.
// Encodings and verification are common/public_key.h. Pure OpenSSL; no token calls.

#include <openssl/evp.h>

#include <memory>
#include <string>

#include "common/bytes.h"
#include "common/openssl_ptr.h"
#include "common/public_key.h"

namespace p11signd::pkcs11 {

// Builds an RSA public key from big-endian modulus and public exponent (CKA_MODULUS,
// CKA_PUBLIC_EXPONENT).
EvpPkeyPtr rsa_public_key(ByteView modulus, ByteView exponent);

// Builds a P-256 or P-384 public key from its uncompressed point (04||X||Y), or an Ed25519 public
// key from its 32 bytes (unwrap_ec_point() gives both). Throws Error(kBadInput) when OpenSSL
// refuses the point (not on the curve).
EvpPkeyPtr ec_public_key(KeyType type, ByteView point);

std::string spki_fingerprint_sha256(ByteView spki_der);  // lowercase hex

// verify_signature for tests written against the token: false also when the key is unusable.
bool verify_rsa(ByteView spki_der, bool pss, unsigned salt_len, ByteView data, ByteView signature);

}  // namespace p11signd::pkcs11
