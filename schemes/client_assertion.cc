#include "schemes/client_assertion.h"

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <stdexcept>

#include "common/encoding.h"
#include "schemes/client_assertion_rules.h"
#include "schemes/json_input.h"
#include "schemes/jws.h"

namespace p11signd::schemes {
namespace {

constexpr std::array<std::string_view, 7> kReservedClaims = {"iss", "sub", "aud", "jti",
                                                             "iat", "exp", "nbf"};

bool reserved(std::string_view claim) {
  return std::find(kReservedClaims.begin(), kReservedClaims.end(), claim) != kReservedClaims.end();
}

std::string_view default_alg(KeyType type) {
  switch (type) {
    case KeyType::kRsa:
      return "RS256";
    case KeyType::kEcP256:
      return "ES256";
    case KeyType::kEcP384:
      return "ES384";
    case KeyType::kEd25519:
      return "EdDSA";
  }
  return "RS256";
}

// The audience from the request (a string or a non-empty array of strings) or the key's setting.
Json audience_of(const Json& input, const KeySettings& settings) {
  const auto it = input.find("aud");
  if (it == input.end() || it->is_null()) {
    const auto configured = optional_setting(settings, "client-assertion.audience");
    if (!configured) {
      throw_unprocessable("aud", "give aud, or set client-assertion.audience on the key");
    }
    return *configured;
  }
  if (it->is_string() && !it->get<std::string>().empty()) return *it;
  const bool strings =
      it->is_array() && !it->empty() && std::all_of(it->begin(), it->end(), [](const Json& a) {
        return a.is_string() && !a.get<std::string>().empty();
      });
  if (!strings) throw_bad_request("aud", "must be a string or a non-empty array of strings");
  return *it;
}

std::int64_t lifetime_of(const KeySettings& settings) {
  const auto text = optional_setting(settings, "client-assertion.lifetime");
  if (!text) return kDefaultLifetime;
  const auto seconds = parse_lifetime(*text);
  if (!seconds) throw_unprocessable("client-assertion.lifetime", lifetime_rule());
  return *seconds;
}

const Json& object_or_empty(const Json& input, std::string_view field) {
  static const Json kEmpty = Json::object();
  const auto it = input.find(std::string(field));
  if (it == input.end() || it->is_null()) return kEmpty;
  if (!it->is_object()) throw_bad_request(field, "must be a JSON object");
  return *it;
}

}  // namespace

Bytes openssl_random(std::size_t n) {
  Bytes out(n);
  if (RAND_bytes(out.data(), static_cast<int>(n)) != 1)
    throw std::runtime_error("RAND_bytes failed");
  return out;
}

Json client_assertion_claims(const JwtFrame& frame, const Json& extra) {
  Json claims{{"iss", frame.client_id}, {"sub", frame.client_id}, {"aud", frame.aud},
              {"jti", frame.jti},       {"iat", frame.iat},       {"exp", frame.exp}};
  for (const auto& [name, value] : extra.items()) {
    if (reserved(name)) {
      throw_unprocessable("claims." + name,
                          "is set by the scheme (iss, sub, aud, jti, iat, exp, nbf); give aud "
                          "as its own field");
    }
    claims[name] = value;
  }
  return claims;
}

Json request_object_claims(const JwtFrame& frame, const Json& params) {
  Json claims{{"iss", frame.client_id}, {"aud", frame.aud}, {"client_id", frame.client_id},
              {"jti", frame.jti},       {"iat", frame.iat}, {"nbf", frame.iat},
              {"exp", frame.exp}};
  for (const auto& [name, value] : params.items()) {
    if (reserved(name)) {
      throw_unprocessable("params." + name,
                          "is set by the scheme (iss, aud, jti, iat, nbf, exp; sub is not an "
                          "authorization request parameter)");
    }
    if (name == "request" || name == "request_uri") {
      throw_unprocessable("params." + name, "must not be inside a request object (RFC 9101 4)");
    }
    if (name == "client_id") {
      if (value != frame.client_id) {
        throw_unprocessable("params.client_id",
                            "differs from the key's client-assertion.client-id");
      }
      continue;
    }
    claims[name] = value;
  }
  return claims;
}

std::string client_assertion_alg(KeyType type, const std::optional<std::string>& requested,
                                 std::string_view field) {
  const std::string alg = requested.value_or(std::string(default_alg(type)));
  const auto req = jws_sign_request(alg);
  if (!req) {
    throw_unprocessable(field, "'" + alg + "' is not an algorithm this build signs JWS with");
  }
  if (!key_can_sign(type, req->alg)) {
    throw_unprocessable(
        field, "'" + alg + "' cannot be made with a " + std::string(to_string(type)) + " key");
  }
  return alg;
}

std::vector<std::string> ClientAssertionScheme::known_settings() const {
  return {"client-assertion.client-id", "client-assertion.audience", "client-assertion.kid",
          "client-assertion.alg", "client-assertion.lifetime"};
}

std::vector<KeyType> ClientAssertionScheme::key_types() const {
  std::vector<KeyType> types;
  for (const KeyType t : {KeyType::kRsa, KeyType::kEcP256, KeyType::kEcP384, KeyType::kEd25519}) {
    if (jws_sign_request(default_alg(t))) types.push_back(t);
  }
  return types;
}

Json ClientAssertionScheme::describe() const {
  return Json{
      {"name", name()},
      {"description",
       "OAuth private_key_jwt client assertion (RFC 7523, OIDC Core 9) and JAR request objects "
       "(RFC 9101)"},
      {"sign", {{"required", Json::array()}, {"optional", {"aud", "claims", "alg"}}}},
      {"verify",
       {{"required", {"client_assertion", "aud"}},
        {"optional", {"client_id", "alg"}},
        {"alternatives", {{"client_assertion", "request"}}}}},
      {"settings", known_settings()},
      {"actions", {{"request-object", {{"required", {"params"}}, {"optional", {"aud", "alg"}}}}}},
      {"algorithms", supported_algs()}};
}

JwtFrame ClientAssertionScheme::frame(const Json& input, const KeySettings& settings) const {
  JwtFrame f;
  f.client_id = require_setting(settings, "client-assertion.client-id");
  f.aud = audience_of(input, settings);
  f.iat = std::chrono::duration_cast<std::chrono::seconds>(clock_().time_since_epoch()).count();
  f.exp = f.iat + lifetime_of(settings);
  f.jti = base64url_encode(random_(16));  // 128 bits
  return f;
}

Json ClientAssertionScheme::sign_jwt(const Json& input, const KeySettings& settings,
                                     const SigningKey& sign, Json header,
                                     const Json& claims) const {
  const auto requested = optional_string(input, "alg");
  const std::string alg = client_assertion_alg(
      sign.type(), requested ? requested : optional_setting(settings, "client-assertion.alg"),
      requested ? "alg" : "client-assertion.alg");
  Json full{{"alg", alg}};
  if (const auto kid = optional_setting(settings, "client-assertion.kid")) full["kid"] = *kid;
  for (auto& [k, v] : header.items()) full[k] = v;
  const std::string text = claims.dump();
  return jws_sign_compact(full, as_bytes(text), sign);
}

Json ClientAssertionScheme::sign(const Json& input, const KeySettings& settings,
                                 const SigningKey& sign) const {
  require_object_input(input);
  const JwtFrame f = frame(input, settings);
  const Json claims = client_assertion_claims(f, object_or_empty(input, "claims"));
  const std::string jwt = sign_jwt(input, settings, sign, Json::object(), claims);
  return Json{
      {"client_assertion", jwt},
      {"client_assertion_type", kClientAssertionType},
      {"form", {{"client_assertion_type", kClientAssertionType}, {"client_assertion", jwt}}},
      {"jti", f.jti},
      {"exp", f.exp}};
}

Json ClientAssertionScheme::run_action(std::string_view action, const Json& input,
                                       const KeySettings& settings, const SigningKey& sign) const {
  if (action != "request-object") return Scheme::run_action(action, input, settings, sign);
  require_object_input(input);
  const Json& params = require_object(input, "params");
  const JwtFrame f = frame(input, settings);
  const Json claims = request_object_claims(f, params);
  const std::string jwt = sign_jwt(input, settings, sign, Json{{"typ", kRequestObjectTyp}}, claims);
  return Json{{"request", jwt}, {"jti", f.jti}, {"exp", f.exp}};
}

std::vector<std::string> ClientAssertionScheme::check_settings(const KeySettings& settings) const {
  std::vector<std::string> problems;
  if (!optional_setting(settings, "client-assertion.client-id")) {
    problems.push_back("client-assertion.client-id is not set");
  }
  if (const auto lifetime = optional_setting(settings, "client-assertion.lifetime");
      lifetime && !parse_lifetime(*lifetime)) {
    problems.push_back("client-assertion.lifetime: '" + *lifetime + "' " + lifetime_rule());
  }
  if (const auto alg = optional_setting(settings, "client-assertion.alg");
      alg && !is_supported_alg(*alg)) {
    problems.push_back("client-assertion.alg: '" + *alg + "' is not one of " +
                       supported_algs().dump());
  }
  return problems;
}

}  // namespace p11signd::schemes
