#include "schemes/carat.h"

#include <charconv>
#include <cstdint>
#include <fstream>
#include <limits>
#include <sstream>

#include "schemes/ascii.h"
#include "schemes/json_input.h"
#include "schemes/jws.h"
#include "schemes/peer_key.h"

namespace p11signd::schemes {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kMaxAge = std::chrono::minutes(10);

// Fields the seed marks YES for each service; merchant_id, merchant_key and timestamp are common to
// all.
const std::vector<std::string>& service_fields(std::string_view service) {
  static const std::vector<std::string> kMerchant = {"merchant_id", "merchant_key", "timestamp"};
  static const std::vector<std::string> kEdit = {"merchant_id", "merchant_key", "timestamp",
                                                 "registered_merchant_id"};
  static const std::vector<std::string> kOther = {"nit", "merchant_id", "merchant_key",
                                                  "timestamp"};
  if (service == "merchant" || service == "transaction") return kMerchant;
  if (service == "merchant-edit") return kEdit;
  if (service == "other") return kOther;
  throw_unprocessable("service", "must be one of merchant, merchant-edit, transaction, other");
}

bool is_blank(const Json& v) {
  return v.is_null() || (v.is_string() && v.get<std::string>().empty());
}

// Milliseconds since the epoch (the Carat guide: "< 13 N"): a string of digits, as the guide sends
// it, or a non-negative integer; nullopt for anything else, including values beyond long long.
// Being non-negative, it can be compared with the clock without overflow.
std::optional<long long> timestamp_ms(const Json& v) {
  if (v.is_number_unsigned()) {
    const auto u = v.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<long long>::max())) return std::nullopt;
    return static_cast<long long>(u);
  }
  if (v.is_number_integer()) {
    const auto i = v.get<long long>();
    return i >= 0 ? std::optional(i) : std::nullopt;
  }
  if (!v.is_string()) return std::nullopt;
  const std::string s = v.get<std::string>();
  if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  long long ms = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), ms);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return ms;
}

// A timestamp the request sets is signed as given: refuse one that verify (and Carat) would refuse.
void check_request_timestamp(const Json& request_claims) {
  const auto it = request_claims.find("timestamp");
  if (it != request_claims.end() && !timestamp_ms(*it)) {
    throw_unprocessable("claims.timestamp",
                        "must be milliseconds since the epoch: a string of digits or a "
                        "non-negative integer");
  }
}

// The auth scheme name is case-insensitive (RFC 7235 2.1, RFC 6750): "bearer x" is "Bearer x".
std::string strip_bearer(std::string jwt) {
  constexpr std::string_view kBearer = "bearer ";
  if (ascii_lower(std::string_view(jwt).substr(0, kBearer.size())) == kBearer) {
    jwt.erase(0, kBearer.size());
  }
  return jwt;
}

}  // namespace

const Json& carat_header() {
  static const Json kHeader{{"alg", "RS256"}, {"typ", "JWT"}};
  return kHeader;
}

Json carat_claims(const Json& request_claims, const std::string& merchant_id,
                  const std::string& merchant_key, std::chrono::system_clock::time_point now) {
  Json claims = Json::object();
  if (!request_claims.contains("merchant_id")) claims["merchant_id"] = merchant_id;
  if (!request_claims.contains("merchant_key")) claims["merchant_key"] = merchant_key;
  for (const auto& [k, v] : request_claims.items()) claims[k] = v;
  if (!claims.contains("timestamp")) {
    const auto ms = std::chrono::duration_cast<milliseconds>(now.time_since_epoch()).count();
    claims["timestamp"] = std::to_string(ms);
  }
  return claims;
}

void carat_check_service(std::string_view service, const Json& claims) {
  for (const auto& field : service_fields(service)) {
    const auto it = claims.find(field);
    if (it == claims.end() || is_blank(*it)) {
      throw_unprocessable("claims." + field,
                          "is required for service " + std::string(service) + " and missing");
    }
  }
}

std::string carat_read_merchant_key(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_unprocessable("carat.merchant-key-file", "cannot open " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string key = ss.str();
  while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) key.pop_back();
  if (key.empty()) throw_unprocessable("carat.merchant-key-file", path + " is empty");
  return key;
}

Json CaratScheme::describe() const {
  return Json{
      {"name", name()},
      {"description", "Carat Portal: RS256 JWT {\"alg\":\"RS256\",\"typ\":\"JWT\"}, Bearer header"},
      {"sign", {{"required", {"claims"}}, {"optional", {"service"}}}},
      {"verify", {{"required", {"jwt"}}}},
      {"settings", known_settings()},
      {"services", {"merchant", "merchant-edit", "transaction", "other"}}};
}

Json CaratScheme::sign(const Json& input, const KeySettings& settings,
                       const SigningKey& sign) const {
  require_object_input(input);
  const Json& request_claims = require_object(input, "claims");
  check_request_timestamp(request_claims);
  const auto service = optional_string(input, "service");
  const std::string merchant_id = request_claims.contains("merchant_id")
                                      ? std::string()
                                      : require_setting(settings, "carat.merchant-id");
  const std::string merchant_key =
      request_claims.contains("merchant_key")
          ? std::string()
          : carat_read_merchant_key(require_setting(settings, "carat.merchant-key-file"));
  const Json claims = carat_claims(request_claims, merchant_id, merchant_key, clock_());
  if (service) carat_check_service(*service, claims);
  const std::string payload = claims.dump();
  const std::string jwt = jws_sign_compact(carat_header(), as_bytes(payload), sign);
  return Json{{"jwt", jwt}, {"authorization", "Bearer " + jwt}};
}

Json CaratScheme::verify(const Json& input, const PeerKey& peer) const {
  require_object_input(input);
  std::string reason;
  const auto parts = jws_parse(strip_bearer(require_string(input, "jwt")), &reason);
  if (!parts) return verify_result(false, reason);
  Json result = jws_verify(*parts, peer, {"RS256"});
  if (!result["valid"].get<bool>()) return result;
  std::string why;
  const auto parsed = parse_bounded(as_chars(parts->payload), &why);
  if (!parsed) return verify_result(false, "payload " + why);
  const Json& claims = *parsed;
  if (!claims.is_object()) return verify_result(false, "payload is not a JSON object");
  const auto ts_it = claims.find("timestamp");
  const auto ts = ts_it == claims.end() ? std::nullopt : timestamp_ms(*ts_it);
  if (!ts) return verify_result(false, "timestamp claim is missing or not milliseconds");
  const auto now = std::chrono::duration_cast<milliseconds>(clock_().time_since_epoch()).count();
  if (*ts < now && now - *ts > kMaxAge.count())
    return verify_result(false, "timestamp is older than 10 minutes");
  if (*ts > now && *ts - now > kMaxAge.count())
    return verify_result(false, "timestamp is more than 10 minutes ahead");
  result["claims"] = claims;
  return result;
}

std::vector<std::string> CaratScheme::check_settings(const KeySettings& settings) const {
  // merchant_id and merchant_key may come in the claims instead; a key file that is named must be
  // readable.
  const auto file = optional_setting(settings, "carat.merchant-key-file");
  if (!file) return {};
  try {
    carat_read_merchant_key(*file);
  } catch (const SchemeError& e) {
    return {e.what()};
  }
  return {};
}

}  // namespace p11signd::schemes
