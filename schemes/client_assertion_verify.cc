// client-assertion verify: a client assertion (RFC 7523 section 3, OIDC Core section 9) or a JAR
// request object (RFC 9101), checked as an authorization server would: signature, issuer, audience
// and times.

#include <algorithm>

#include "schemes/client_assertion.h"
#include "schemes/client_assertion_rules.h"
#include "schemes/json_input.h"
#include "schemes/jws.h"
#include "schemes/peer_key.h"

namespace p11signd::schemes {
namespace {

constexpr std::int64_t kMaxAhead = 60;  // clock skew allowed for iat and nbf
// Bounded so that the time arithmetic cannot overflow.
constexpr std::int64_t kLatestTime = std::int64_t{1} << 40;

struct Expectations {
  bool request_object = false;
  std::string aud;
  std::optional<std::string> client_id;
};

std::optional<std::int64_t> seconds_claim(const Json& claims, const char* name) {
  const auto it = claims.find(name);
  if (it == claims.end() || !it->is_number_integer()) return std::nullopt;
  const auto v = it->get<std::int64_t>();
  if (v < 0 || v > kLatestTime) return std::nullopt;
  return v;
}

std::optional<std::string> string_claim(const Json& claims, const char* name) {
  const auto it = claims.find(name);
  if (it == claims.end() || !it->is_string() || it->get<std::string>().empty()) {
    return std::nullopt;
  }
  return it->get<std::string>();
}

bool audience_matches(const Json& aud, const std::string& expected) {
  if (aud.is_string()) return aud.get<std::string>() == expected;
  return aud.is_array() && std::find(aud.begin(), aud.end(), Json(expected)) != aud.end();
}

std::optional<std::string> issuer_problem(const Json& claims, const Expectations& want) {
  const auto iss = string_claim(claims, "iss");
  if (!iss) return "iss is missing or not a string";
  // The client names itself twice: sub in an assertion, client_id in a request object.
  const char* twin = want.request_object ? "client_id" : "sub";
  if (string_claim(claims, twin) != iss) return std::string(twin) + " differs from iss";
  if (want.client_id && *iss != *want.client_id) return "iss is not " + *want.client_id;
  if (!string_claim(claims, "jti")) return "jti is missing or not a string";
  return std::nullopt;
}

std::optional<std::string> time_problem(const Json& claims, std::int64_t now) {
  const auto exp = seconds_claim(claims, "exp");
  if (!exp) return "exp is missing or not a whole number of seconds";
  if (*exp <= now) return "the token has expired (exp " + std::to_string(*exp) + ")";
  if (*exp - now > kMaxLifetime) {
    return "exp is more than " + std::to_string(kMaxLifetime) + " seconds ahead";
  }
  for (const char* name : {"iat", "nbf"}) {
    if (!claims.contains(name)) continue;
    const auto t = seconds_claim(claims, name);
    if (!t) return std::string(name) + " is not a whole number of seconds";
    if (*t - now > kMaxAhead) return std::string(name) + " is in the future";
  }
  return std::nullopt;
}

std::optional<std::string> claims_problem(const Json& claims, const Expectations& want,
                                          std::int64_t now) {
  if (auto problem = issuer_problem(claims, want)) return problem;
  if (!claims.contains("aud") || !audience_matches(claims["aud"], want.aud)) {
    return "aud does not name " + want.aud;
  }
  return time_problem(claims, now);
}

std::optional<std::string> header_problem(const Json& header, const Expectations& want,
                                          const std::optional<std::string>& pinned) {
  const auto alg = header.find("alg");
  const std::string name = alg != header.end() && alg->is_string() ? alg->get<std::string>() : "";
  if (!is_supported_alg(name) || (pinned && *pinned != name)) {
    return "header alg '" + name + "' is not accepted";
  }
  const auto typ = header.find("typ");
  const bool typed = typ != header.end() && *typ == kRequestObjectTyp;
  // Explicit typing (RFC 9101 10.8) keeps one kind of token from being taken for the other.
  if (want.request_object && !typed) return "header typ is not oauth-authz-req+jwt";
  if (!want.request_object && typed) return "a request object is not a client assertion";
  return std::nullopt;
}

}  // namespace

Json ClientAssertionScheme::verify(const Json& input, const PeerKey& peer) const {
  require_object_input(input);
  Expectations want;
  want.request_object = input.contains("request");
  if (want.request_object == input.contains("client_assertion")) {
    if (!want.request_object) throw_missing("client_assertion", "give client_assertion or request");
    throw_bad_request("client_assertion", "give exactly one of client_assertion and request");
  }
  const std::string token =
      require_string(input, want.request_object ? "request" : "client_assertion");
  want.aud = require_string(input, "aud");
  want.client_id = optional_string(input, "client_id");
  const auto pinned = optional_string(input, "alg");
  if (pinned && !is_supported_alg(*pinned)) {
    throw_unprocessable("alg", "must be one of " + supported_algs().dump());
  }
  std::string reason;
  const auto parts = jws_parse(token, &reason);
  if (!parts) return verify_result(false, reason);
  if (const auto problem = header_problem(parts->header, want, pinned)) {
    return verify_result(false, *problem);
  }
  Json result = jws_verify(*parts, peer, {parts->header["alg"].get<std::string>()});
  if (!result["valid"].get<bool>()) return result;
  std::string why;
  const auto claims = parse_bounded(as_chars(parts->payload), &why);
  if (!claims || !claims->is_object())
    return verify_result(false, "the claims are not a JSON object");
  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(clock_().time_since_epoch()).count();
  if (const auto problem = claims_problem(*claims, want, now)) {
    return verify_result(false, *problem);
  }
  result["header"] = parts->header;
  result["claims"] = *claims;
  return result;
}

}  // namespace p11signd::schemes
