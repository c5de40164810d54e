#pragma once
// Public-key operations every layer needs and none owns: SubjectPublicKeyInfo encodings, key types
// and signature verification with OpenSSL. Nothing secret happens here; private-key operations only
// ever happen on the token.

#include <openssl/evp.h>

#include <cstddef>
#include <optional>
#include <string>

#include "common/bytes.h"
#include "common/sign_alg.h"

namespace p11signd {

// DER SubjectPublicKeyInfo of key. Throws std::runtime_error when OpenSSL cannot encode it.
Bytes spki_der(EVP_PKEY* key);
// "-----BEGIN PUBLIC KEY-----" PEM of a DER SPKI, 64 columns, newline-terminated.
std::string spki_pem(ByteView spki_der);

// The hash alg signs the message with (SHA-256, SHA-384 or SHA-512); null for Ed25519, which signs
// the message itself.
const EVP_MD* message_digest(SignAlg alg);

// The key's type; nullopt for any other kind of key (DSA, another curve, X25519).
std::optional<KeyType> key_type_of(EVP_PKEY* key);
std::optional<KeyType> key_type_of(ByteView spki_der);
// The length in bytes of one half of a raw ECDSA signature of this key type (32, 48); 0 for others.
std::size_t ecdsa_half_len(KeyType type);

// True when signature is req's signature over data: RSA PKCS#1 v1.5 or PSS (MGF1 with the same
// hash, pss_salt_len(req)), ECDSA (req.ecdsa_encoding says raw r||s or DER), or pure Ed25519. A
// mismatch, or an ECDSA signature of the wrong length or encoding, is false and leaves no OpenSSL
// error queued; a key that cannot make req.alg at all (an EC key asked for RSA-SHA256, a P-384 key
// for ECDSA-SHA256, an unparsable key) throws std::runtime_error naming that.
bool verify_signature(EVP_PKEY* key, const SignRequest& req, ByteView data, ByteView signature);
bool verify_signature(ByteView spki_der, const SignRequest& req, ByteView data, ByteView signature);

}  // namespace p11signd
