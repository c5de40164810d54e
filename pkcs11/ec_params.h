#pragma once
// How PKCS#11 writes elliptic-curve keys: CKA_EC_PARAMS (the DER of the curve's OID) and
// CKA_EC_POINT (the public point, DER OCTET STRING-wrapped as PKCS#11 2.40 says, or bare as some
// tokens return it). Pure encoding; no token calls.

#include <openssl/evp.h>

#include <optional>

#include "common/bytes.h"
#include "common/sign_alg.h"
#include "pkcs11/cryptoki.h"

namespace p11signd::pkcs11 {

// CKA_EC_PARAMS for an EC or Ed25519 key type: the DER OBJECT IDENTIFIER of prime256v1, secp384r1
// or id-Ed25519 (RFC 8410). Empty for RSA.
Bytes ec_params_der(KeyType type);

// The key type CKA_EC_PARAMS names: one of the OIDs above, or for Ed25519 also the
// PrintableString "edwards25519" that PKCS#11 3.0 allows. nullopt for any other curve.
std::optional<KeyType> key_type_of_ec_params(ByteView ec_params);

// The public key's bytes as OpenSSL wants them (uncompressed point 04||X||Y, or Ed25519's 32
// bytes), from CKA_EC_POINT in either form. nullopt when it is neither of the right length.
std::optional<Bytes> unwrap_ec_point(KeyType type, ByteView ec_point);

// CKA_EC_POINT as PKCS#11 2.40 writes it: a DER OCTET STRING around the point.
Bytes wrap_ec_point(ByteView point);

// The CKA_KEY_TYPE of a key type (CKK_RSA, CKK_EC, CKK_EC_EDWARDS).
CK_KEY_TYPE ck_key_type(KeyType type);

}  // namespace p11signd::pkcs11
