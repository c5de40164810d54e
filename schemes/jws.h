#pragma once
// Compact JWS (RFC 7515) with RS256 (PKCS#1 v1.5) and PS256 (PSS, MGF1-SHA256, salt 32, RFC
// 7518 3.5). The helpers here are shared with carat, whose JWT is a JWS with a fixed header.

#include <optional>
#include <string>
#include <string_view>

#include "schemes/scheme.h"

namespace p11signd::schemes {

// RS256/PS256 to the signature the token makes; nullopt for anything else (none, HS256, ...).
std::optional<SignRequest> jws_sign_request(std::string_view alg);

// Pure: BASE64URL(UTF8(header as serialised, keys in order)) "." BASE64URL(payload).
std::string jws_signing_input(const Json& header, ByteView payload);

// signing input "." BASE64URL(signature).
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

// Checks the header's alg against `allowed` (never taken from the token alone), refuses any crit
// and b64 header (no extension is supported), and checks the signature.
Json jws_verify(const JwsParts& parts, const PeerKey& peer,
                std::initializer_list<std::string_view> allowed);

class JwsScheme final : public Scheme {
 public:
  std::string name() const override { return "jws"; }
  Json describe() const override;
  std::vector<std::string> known_settings() const override { return {"jws.kid"}; }
  // {"alg":"RS256"|"PS256" (default RS256),"payload":OBJECT or "payload_b64","header":{extra}} ->
  // {"jws"}.
  Json sign(const Json& input, const KeySettings& settings, const SigningKey& sign) const override;
  // {"jws", "alg" (optional: pin one)} -> {"valid","reason","header","payload"}.
  Json verify(const Json& input, const PeerKey& peer) const override;
};

}  // namespace p11signd::schemes
