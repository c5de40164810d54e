#pragma once
// Public-key operations every layer needs and none owns: SubjectPublicKeyInfo encodings and RSA
// signature verification with OpenSSL. Nothing secret happens here; private-key operations only
// ever happen on the token.

#include <openssl/evp.h>

#include <string>

#include "common/bytes.h"
#include "common/sign_alg.h"

namespace p11signd {

// DER SubjectPublicKeyInfo of key. Throws std::runtime_error when OpenSSL cannot encode it.
Bytes spki_der(EVP_PKEY* key);
// "-----BEGIN PUBLIC KEY-----" PEM of a DER SPKI, 64 columns, newline-terminated.
std::string spki_pem(ByteView spki_der);

// True when signature is req's RSA signature (PKCS#1 v1.5, or PSS with MGF1-SHA256 and req's salt
// length) over SHA-256 of data. A mismatch is false and leaves no OpenSSL error queued; a key that
// cannot verify at all (not RSA, not parsable) throws std::runtime_error naming that.
bool verify_signature(EVP_PKEY* key, const SignRequest& req, ByteView data, ByteView signature);
bool verify_signature(ByteView spki_der, const SignRequest& req, ByteView data, ByteView signature);

}  // namespace p11signd
