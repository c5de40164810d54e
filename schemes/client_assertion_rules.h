#pragma once
// The limits client-assertion's signing and verifying share: token lifetime and algorithms.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "schemes/scheme.h"

namespace p11signd::schemes {

// RFC 7523 leaves the lifetime to the server; 5 minutes is what OIDC servers commonly accept, and
// an hour is FAPI 1's ceiling for a request object (exp - nbf).
inline constexpr std::int64_t kDefaultLifetime = 300;
inline constexpr std::int64_t kMaxLifetime = 3600;

// A whole number of seconds from 1 to kMaxLifetime; nullopt otherwise.
std::optional<std::int64_t> parse_lifetime(std::string_view text);
// What parse_lifetime accepts, for error messages.
std::string lifetime_rule();

// The JWS algs jws.h maps, of RS256, PS256, ES256, ES384, EdDSA.
Json supported_algs();
bool is_supported_alg(std::string_view alg);

}  // namespace p11signd::schemes
