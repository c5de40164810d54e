#include "schemes/ob_jws.h"

#include <algorithm>
#include <array>

#include "common/encoding.h"
#include "schemes/json_input.h"
#include "schemes/jws.h"
#include "schemes/peer_key.h"

namespace p11signd::schemes {
namespace {

constexpr std::string_view kAlg = "PS256";
constexpr std::string_view kDefaultTan = "openbanking.org.uk";
constexpr std::int64_t kDefaultMaxAge = 300;
constexpr std::int64_t kMaxAhead = 60;  // clock skew allowed for an iat in the future
constexpr std::int64_t kLatestIat = std::int64_t{1} << 40;
// The crit names this verifier understands; the three OB claims must also be named.
constexpr std::array<std::string_view, 4> kUnderstood = {"b64", kObIat, kObIss, kObTan};

std::int64_t seconds_of(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

ObJwsVariant variant_setting(const KeySettings& settings) {
  const auto text = optional_setting(settings, "ob-jws.variant");
  if (!text) return ObJwsVariant::kEncoded;
  const auto variant = parse_ob_jws_variant(*text);
  if (!variant) throw_unprocessable("ob-jws.variant", "must be v3.1.3 (b64:false) or v3.1.4");
  return *variant;
}

// The body exactly as sent: text, or any bytes as base64url.
Bytes body_bytes(const Json& input) {
  const bool has_text = input.contains("body");
  const bool has_b64 = input.contains("body_b64");
  if (has_text == has_b64) {
    if (!has_text) throw_missing("body", "give exactly one of body and body_b64");
    throw_bad_request("body", "give exactly one of body and body_b64");
  }
  if (has_text) {
    const std::string text = require_string(input, "body");
    return Bytes(text.begin(), text.end());
  }
  auto decoded = base64url_decode(require_string(input, "body_b64"));
  if (!decoded) throw_bad_request("body_b64", "is not valid base64url");
  return *decoded;
}

std::optional<Bytes> decode_segment(std::string_view s) {
  if (s.find('=') != std::string_view::npos) return std::nullopt;  // JWS forbids padding
  return base64url_decode(s);
}

std::optional<std::string> crit_problem(const Json& header) {
  const auto crit = header.find("crit");
  if (crit == header.end()) return "header has no crit (the profile requires it)";
  if (!crit->is_array() || crit->empty()) return "crit must be a non-empty array of names";
  std::vector<std::string> seen;
  for (const auto& name : *crit) {
    if (!name.is_string()) return "crit must be a non-empty array of names";
    const std::string n = name.get<std::string>();
    if (std::find(kUnderstood.begin(), kUnderstood.end(), n) == kUnderstood.end())
      return "crit names an extension this verifier does not support: " + n;
    if (std::find(seen.begin(), seen.end(), n) != seen.end()) return "crit names " + n + " twice";
    if (!header.contains(n)) return "crit names " + n + " but the header lacks it";
    seen.push_back(n);
  }
  for (const auto name : kUnderstood) {
    const bool present = header.contains(std::string(name));
    const bool listed = std::find(seen.begin(), seen.end(), name) != seen.end();
    if (present && !listed) return "header " + std::string(name) + " is not named in crit";
    if (!present && name != "b64") return "header lacks " + std::string(name);
  }
  return std::nullopt;
}

std::optional<std::string> claim_type_problem(const Json& header) {
  if (const auto b64 = header.find("b64"); b64 != header.end() && !b64->is_boolean())
    return "header b64 must be true or false";
  const Json& iat = header[std::string(kObIat)];
  // Bounded so that the freshness arithmetic cannot overflow.
  if (!iat.is_number_integer() || iat.get<std::int64_t>() < 0 ||
      iat.get<std::int64_t>() > kLatestIat)
    return "header " + std::string(kObIat) + " must be a whole number of seconds since the epoch";
  for (const auto name : {kObIss, kObTan}) {
    if (!header[std::string(name)].is_string())
      return "header " + std::string(name) + " must be a string";
  }
  return std::nullopt;
}

std::optional<std::string> freshness_problem(std::int64_t iat, std::int64_t now,
                                             std::int64_t max_age) {
  if (iat < now && now - iat > max_age)
    return "iat is older than " + std::to_string(max_age) + " seconds";
  if (iat > now && iat - now > kMaxAhead)
    return "iat is more than " + std::to_string(kMaxAhead) + " seconds ahead";
  return std::nullopt;
}

std::int64_t max_age_of(const Json& input) {
  const auto it = input.find("max_age");
  if (it == input.end()) return kDefaultMaxAge;
  if (!it->is_number_integer() || it->get<std::int64_t>() < 0) {
    throw_bad_request("max_age", "must be a whole number of seconds");
  }
  return std::min<std::int64_t>(it->get<std::int64_t>(), kLatestIat);
}

}  // namespace

std::optional<ObJwsVariant> parse_ob_jws_variant(std::string_view text) {
  if (text == "v3.1.3") return ObJwsVariant::kUnencoded;
  if (text == "v3.1.4") return ObJwsVariant::kEncoded;
  return std::nullopt;
}

Json ob_jws_header(ObJwsVariant variant, const ObJwsClaims& claims) {
  const bool unencoded = variant == ObJwsVariant::kUnencoded;
  Json header{{"alg", kAlg}, {"kid", claims.kid}};
  if (unencoded) header["b64"] = false;
  header[std::string(kObIat)] = claims.iat;
  header[std::string(kObIss)] = claims.iss;
  header[std::string(kObTan)] = claims.tan;
  header["typ"] = "JOSE";
  header["cty"] = "application/json";
  Json crit = Json::array();
  if (unencoded) crit.push_back("b64");
  for (const auto name : {kObIat, kObIss, kObTan}) crit.push_back(name);
  header["crit"] = std::move(crit);
  return header;
}

std::string ob_jws_signing_input(std::string_view header_b64, const Json& header, ByteView body) {
  const auto b64 = header.find("b64");
  const bool unencoded = b64 != header.end() && b64->is_boolean() && !b64->get<bool>();
  std::string input(header_b64);
  input += '.';
  if (unencoded) {
    input.append(as_chars(body));
  } else {
    input += base64url_encode(body);
  }
  return input;
}

std::optional<DetachedJws> parse_detached_jws(std::string_view text, std::string* reason) {
  const auto dot1 = text.find('.');
  const auto dot2 = dot1 == std::string_view::npos ? dot1 : text.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || text.find('.', dot2 + 1) != std::string_view::npos) {
    *reason = "not a detached JWS (header..signature)";
    return std::nullopt;
  }
  if (dot2 != dot1 + 1) {
    *reason = "the payload part is not empty (a detached JWS leaves it out)";
    return std::nullopt;
  }
  const auto header = decode_segment(text.substr(0, dot1));
  auto signature = decode_segment(text.substr(dot2 + 1));
  if (!header || !signature || dot1 == 0) {
    *reason = "a part is empty or not unpadded base64url";
    return std::nullopt;
  }
  std::string why;
  auto h = parse_bounded(as_chars(*header), &why);
  if (!h || !h->is_object()) {
    *reason = h ? "the header is not a JSON object" : "the header " + why;
    return std::nullopt;
  }
  return DetachedJws{std::string(text.substr(0, dot1)), std::move(*h), std::move(*signature)};
}

std::optional<std::string> ob_jws_header_problem(const Json& header) {
  const auto alg = header.find("alg");
  if (alg == header.end() || !alg->is_string() || alg->get<std::string>() != kAlg)
    return "header alg must be PS256";
  if (auto problem = crit_problem(header)) return problem;
  return claim_type_problem(header);
}

Json ObJwsScheme::describe() const {
  return Json{{"name", name()},
              {"description", "UK Open Banking detached JWS (x-jws-signature), PS256"},
              {"sign",
               {{"required", {"body"}},
                {"optional", Json::array()},
                {"alternatives", {{"body", "body_b64"}}}}},
              {"verify",
               {{"required", {"x-jws-signature", "body"}},
                {"optional", {"max_age", "iss"}},
                {"alternatives", {{"body", "body_b64"}}}}},
              {"settings", known_settings()},
              {"algorithms", {kAlg}}};
}

Json ObJwsScheme::sign(const Json& input, const KeySettings& settings,
                       const SigningKey& sign) const {
  require_object_input(input);
  const ObJwsVariant variant = variant_setting(settings);
  const ObJwsClaims claims{
      require_setting(settings, "ob-jws.kid"), require_setting(settings, "ob-jws.iss"),
      optional_setting(settings, "ob-jws.tan").value_or(std::string(kDefaultTan)),
      seconds_of(clock_())};
  const Bytes body = body_bytes(input);
  if (sign.type() != KeyType::kRsa) throw_unprocessable("key", "ob-jws signs with RSA keys only");
  const Json header = ob_jws_header(variant, claims);
  const std::string header_b64 = base64url_encode(as_bytes(header.dump()));
  const std::string signing_input = ob_jws_signing_input(header_b64, header, body);
  const Bytes signature = sign(*jws_sign_request(kAlg), as_bytes(signing_input));
  return Json{{"x-jws-signature", header_b64 + ".." + base64url_encode(signature)},
              {"header", header}};
}

Json ObJwsScheme::verify(const Json& input, const PeerKey& peer) const {
  require_object_input(input);
  const std::string text = require_string(input, "x-jws-signature");
  const Bytes body = body_bytes(input);
  const std::int64_t max_age = max_age_of(input);
  const auto expected_iss = optional_string(input, "iss");
  std::string reason;
  const auto jws = parse_detached_jws(text, &reason);
  if (!jws) return verify_result(false, reason);
  if (const auto problem = ob_jws_header_problem(jws->header)) {
    return verify_result(false, *problem);
  }
  const std::string signing_input = ob_jws_signing_input(jws->header_b64, jws->header, body);
  if (!peer.verify(*jws_sign_request(kAlg), as_bytes(signing_input), jws->signature)) {
    return verify_result(false, "signature does not match header and body");
  }
  const Json& header = jws->header;
  const auto iat = header[std::string(kObIat)].get<std::int64_t>();
  if (const auto stale = freshness_problem(iat, seconds_of(clock_()), max_age)) {
    return verify_result(false, *stale);
  }
  if (expected_iss && header[std::string(kObIss)].get<std::string>() != *expected_iss) {
    return verify_result(false, "header " + std::string(kObIss) + " is not " + *expected_iss);
  }
  Json result = verify_result(true, "signature matches");
  result["header"] = header;
  result["variant"] = header.contains("b64") && !header["b64"].get<bool>() ? "v3.1.3" : "v3.1.4";
  return result;
}

std::vector<std::string> ObJwsScheme::check_settings(const KeySettings& settings) const {
  std::vector<std::string> problems;
  for (const char* s : {"ob-jws.kid", "ob-jws.iss"}) {
    if (!optional_setting(settings, s)) problems.push_back(std::string(s) + " is not set");
  }
  const auto variant = optional_setting(settings, "ob-jws.variant");
  if (variant && !parse_ob_jws_variant(*variant)) {
    problems.push_back("ob-jws.variant: '" + *variant +
                       "' is not a variant; use v3.1.3 (b64:false) or v3.1.4");
  }
  return problems;
}

}  // namespace p11signd::schemes
