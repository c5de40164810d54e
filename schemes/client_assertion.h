#pragma once
// OAuth 2.0 client authentication with a signed JWT (private_key_jwt: RFC 7523 sections 2.2 and 3,
// OpenID Connect Core section 9, FAPI), and signed authorization request objects (JAR, RFC 9101)
// through the action "request-object". Both are compact JWS made by jws.h; the algorithm follows
// the key (RS256 or PS256 for RSA; ES256, ES384, EdDSA for the other types where jws.h maps them).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "schemes/scheme.h"

namespace p11signd::schemes {

inline constexpr std::string_view kClientAssertionType =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
inline constexpr std::string_view kRequestObjectTyp = "oauth-authz-req+jwt";  // RFC 9101 10.8

// n random bytes; injected so that tests can fix the jti.
using RandomFn = std::function<Bytes(std::size_t n)>;
Bytes openssl_random(std::size_t n);

// What every token gets: the client, the audience (a string or an array of strings), the times and
// the identifier.
struct JwtFrame {
  std::string client_id;
  Json aud;
  std::int64_t iat = 0;
  std::int64_t exp = 0;
  std::string jti;
};

// Pure: {"iss","sub","aud","jti","iat","exp", extra claims in the order given}. 422 naming the
// claim when extra sets one of the reserved names (iss, sub, aud, jti, iat, exp, nbf).
Json client_assertion_claims(const JwtFrame& frame, const Json& extra);

// Pure: {"iss","aud","client_id","jti","iat","nbf" (= iat),"exp", the authorization request's
// parameters in the order given}. 422 naming the parameter when params sets a reserved claim, a
// client_id other than the client's, or request / request_uri (RFC 9101 section 4).
Json request_object_claims(const JwtFrame& frame, const Json& params);

// The JWS alg for a key: `requested` (input or setting) when it is one jws.h maps and the key can
// make, else the key type's default (RS256, ES256, ES384, EdDSA). 422 naming `field` otherwise.
std::string client_assertion_alg(KeyType type, const std::optional<std::string>& requested,
                                 std::string_view field);

class ClientAssertionScheme final : public Scheme {
 public:
  ClientAssertionScheme(Clock clock, RandomFn random)
      : clock_(std::move(clock)), random_(std::move(random)) {}
  std::string name() const override { return "client-assertion"; }
  Json describe() const override;
  std::vector<std::string> known_settings() const override;
  std::vector<KeyType> key_types() const override;
  // {"aud"?, "claims"?, "alg"?} -> {"client_assertion", "client_assertion_type", "form", "jti",
  // "exp"}.
  Json sign(const Json& input, const KeySettings& settings, const SigningKey& sign) const override;
  // {"client_assertion", "aud", "client_id"?, "alg"?, "kind"?} -> {"valid","reason","header",
  // "claims"}. kind "request-object" checks a JAR request object instead.
  Json verify(const Json& input, const PeerKey& peer) const override;
  std::vector<std::string> check_settings(const KeySettings& settings) const override;
  std::vector<std::pair<std::string, std::string>> request_fallbacks() const override {
    return {{"client-assertion.audience", "aud"}};
  }
  std::vector<std::string> actions() const override { return {"request-object"}; }
  // "request-object": {"params", "aud"?, "alg"?} -> {"request", "jti", "exp"}.
  Json run_action(std::string_view action, const Json& input, const KeySettings& settings,
                  const SigningKey& sign) const override;

 private:
  JwtFrame frame(const Json& input, const KeySettings& settings) const;
  Json sign_jwt(const Json& input, const KeySettings& settings, const SigningKey& sign, Json header,
                const Json& claims) const;

  Clock clock_;
  RandomFn random_;
};

}  // namespace p11signd::schemes
