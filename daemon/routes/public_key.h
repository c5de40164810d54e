#pragma once
// Public-key work the daemon does in process (nothing secret): the JWK form for GET /public-key;
// SPKI PEM and signature verification (POST /verify) come from common/public_key.h. Private
// operations only ever happen in a SigningSession.

#include <openssl/evp.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/bytes.h"
#include "common/public_key.h"

namespace p11signd::daemon {

using SharedEvpPkey = std::shared_ptr<EVP_PKEY>;

// Throws std::runtime_error when spki_der is not a SubjectPublicKeyInfo.
SharedEvpPkey pkey_from_spki(ByteView spki_der);
// RFC 7517 JWK of a public key: RSA (kty, n, e), EC (RFC 7518 6.2: kty EC, crv P-256 or P-384, x,
// y) or Ed25519 (RFC 8037: kty OKP, crv Ed25519, x); all values base64url. Throws
// std::runtime_error for any other key.
nlohmann::ordered_json spki_jwk(ByteView spki_der);

}  // namespace p11signd::daemon
