#pragma once
// Public-key work the daemon does in process (nothing secret): SPKI encodings for GET /public-key
// and signature verification for POST /verify. Private operations only ever happen in a
// SigningSession.

#include <openssl/evp.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/bytes.h"
#include "common/sign_alg.h"

namespace p11signd::daemon {

using EvpPkeyPtr = std::shared_ptr<EVP_PKEY>;

EvpPkeyPtr pkey_from_spki(ByteView spki_der);
Bytes spki_der(EVP_PKEY* key);
std::string spki_pem(ByteView spki_der);
// RFC 7517 JWK of an RSA public key: kty, n, e (base64url).
nlohmann::ordered_json spki_jwk(ByteView spki_der);
// False for a wrong signature; throws std::runtime_error only when the key itself cannot be used.
bool verify_signature(ByteView spki_der, const SignRequest& req, ByteView data, ByteView signature);

}  // namespace p11signd::daemon
