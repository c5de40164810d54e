#pragma once
// Test-only: private-key operations in memory with OpenSSL, standing in for the token in unit tests
// and fakes (schemes' TestKey, the daemon's FakeKeyStore). Never linked into the daemon or the
// client (target p11common_testing): in the product, private keys live on the token only.

#include <openssl/evp.h>

#include <memory>

#include "common/bytes.h"
#include "common/sign_alg.h"

namespace p11signd::testing {

using SoftwareKey = std::shared_ptr<EVP_PKEY>;

// A fresh key of this type (rsa_bits only for RSA). Throws std::runtime_error when OpenSSL fails.
SoftwareKey generate_software_key(KeyType type, unsigned rsa_bits = 2048);
// Any private key PEM OpenSSL reads (PKCS#8, PKCS#1, SEC1). Throws std::runtime_error otherwise.
SoftwareKey software_key_from_pem(std::string_view private_key_pem);

// req's signature over data, exactly as the token would make it: PSS with MGF1 of the same hash and
// pss_salt_len(req), ECDSA in req.ecdsa_encoding, pure Ed25519. Throws std::runtime_error when the
// key cannot make req.alg.
Bytes software_sign(EVP_PKEY* key, const SignRequest& req, ByteView data);

}  // namespace p11signd::testing
