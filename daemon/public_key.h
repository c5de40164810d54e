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

using EvpPkeyPtr = std::shared_ptr<EVP_PKEY>;

// Throws std::runtime_error when spki_der is not a SubjectPublicKeyInfo.
EvpPkeyPtr pkey_from_spki(ByteView spki_der);
// RFC 7517 JWK of an RSA public key: kty, n, e (base64url).
nlohmann::ordered_json spki_jwk(ByteView spki_der);

}  // namespace p11signd::daemon
