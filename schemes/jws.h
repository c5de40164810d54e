#pragma once
// Compact JWS (RFC 7515) with RS256 (PKCS#1 v1.5), PS256 (PSS, MGF1-SHA256, salt 32, RFC 7518
// 3.5), ES256 and ES384 (ECDSA on P-256 and P-384, signature raw r||s of fixed length, RFC 7518
// 3.4) and EdDSA (Ed25519, RFC 8037 3.1). The alg is pinned to the key's type: an RSA key never
// makes ES256, an EC key never RS256. The helpers here are shared with carat, whose JWT is a JWS
// with a fixed header.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "schemes/scheme.h"

namespace p11signd::schemes {

// Every alg this module signs and verifies, in the order describe() lists them.
const std::vector<std::string_view>& jws_algs();

// The algs a key of this type makes; the first is what sign() uses when the request names none
// (RS256 for RSA, ES256 for P-256, ES384 for P-384, EdDSA for Ed25519).
std::vector<std::string_view> jws_algs_for(KeyType type);

// A JWS alg to the signature the token makes (ECDSA as raw r||s); nullopt for anything else
// (none, HS256, ES512, ...).
std::optional<SignRequest> jws_sign_request(std::string_view alg);

// Pure: BASE64URL(UTF8(header as serialised, keys in order)) "." BASE64URL(payload).
std::string jws_signing_input(const Json& header, ByteView payload);

// signing input "." BASE64URL(signature). Throws SchemeError (kUnprocessable, field "alg") for a
// header alg that is not one of jws_algs() or that the key's type cannot make, naming the key type
// and the algs it makes.
std::string jws_sign_compact(const Json& header, ByteView payload, const SigningKey& sign);

struct JwsParts {
  std::string signing_input;  // the first two segments, exactly as received
  Json header;
  Bytes payload;
  Bytes signature;
};

// nullopt (with why in *reason) when the text is not three base64url segments with a JSON object
// header.
std::optional<JwsParts> jws_parse(std::string_view compact, std::string* reason);

// Checks the header's alg against `allowed` (never taken from the token alone) and against the
// peer key's type, refuses any crit and b64 header (no extension is supported), and checks the
// signature. Every refusal is {"valid": false} with the reason, not an error.
Json jws_verify(const JwsParts& parts, const PeerKey& peer,
                const std::vector<std::string_view>& allowed);

class JwsScheme final : public Scheme {
 public:
  std::string name() const override { return "jws"; }
  Json describe() const override;
  std::vector<std::string> known_settings() const override { return {"jws.kid"}; }
  std::vector<KeyType> key_types() const override;
  // {"alg": one of jws_algs() the key makes (default: the key type's, jws_algs_for()),
  // "payload":OBJECT or "payload_b64","header":{extra}} -> {"jws"}.
  Json sign(const Json& input, const KeySettings& settings, const SigningKey& sign) const override;
  // {"jws", "alg" (optional: pin one)} -> {"valid","reason","header","payload"}.
  Json verify(const Json& input, const PeerKey& peer) const override;
};

}  // namespace p11signd::schemes
