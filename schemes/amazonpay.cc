#include "schemes/amazonpay.h"

#include <algorithm>
#include <ctime>

#include "common/digest.h"
#include "common/encoding.h"
#include "schemes/ascii.h"
#include "schemes/json_input.h"
#include "schemes/peer_key.h"
#include "schemes/url_encoding.h"

namespace p11signd::schemes {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The host of an authority, as java.net.URI.getHost gives it: without "user@" and ":port".
std::string host_of(std::string_view authority) {
  if (const auto at = authority.rfind('@'); at != std::string_view::npos)
    authority.remove_prefix(at + 1);
  if (const auto colon = authority.rfind(':');
      colon != std::string_view::npos && authority.find(']', colon) == std::string_view::npos) {
    authority = authority.substr(0, colon);
  }
  return std::string(authority);
}

std::optional<QueryParams> parse_query(std::string_view q) {
  QueryParams out;
  while (!q.empty()) {
    const auto amp = q.find('&');
    const auto part = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view{} : q.substr(amp + 1);
    if (part.empty()) continue;
    const auto eq = part.find('=');
    // In a URL '+' is a literal plus (RFC 3986), unlike in a form body.
    auto k = percent_decode(part.substr(0, eq), false);
    auto v = percent_decode(eq == std::string_view::npos ? "" : part.substr(eq + 1), false);
    if (!k || !v) return std::nullopt;
    out.emplace_back(std::move(*k), std::move(*v));
  }
  return out;
}

// Region setting to the code the Java SDK sends and the API host for it.
std::optional<std::pair<std::string, std::string>> region_of(std::string_view setting) {
  const std::string r = ascii_lower(std::string(setting));
  if (r == "na" || r == "us") return std::pair{"NA", "pay-api.amazon.com"};
  if (r == "eu" || r == "de" || r == "uk") return std::pair{"EU", "pay-api.amazon.eu"};
  if (r == "jp") return std::pair{"JP", "pay-api.amazon.jp"};
  return std::nullopt;
}

// The signed headers: the five the API requires, plus every x-amz-pay-* the caller sends
// (idempotency key, auth token), as the SDKs sign every header they send.
bool is_signed_header(const std::string& name) {
  return name == "accept" || name == "content-type" || name.starts_with("x-amz-pay-");
}

CanonicalHeaders read_headers(const Json& input) {
  CanonicalHeaders headers;
  const auto it = input.find("headers");
  if (it == input.end() || it->is_null()) return headers;
  if (!it->is_object()) throw_bad_request("headers", "must be a JSON object of strings");
  for (const auto& [k, v] : it->items()) {
    if (!v.is_string()) throw_bad_request("headers." + k, "must be a string");
    if (!is_http_token(k)) throw_bad_request("headers." + k, "is not a valid HTTP header name");
    if (has_control_char(v.get<std::string>())) {
      throw_bad_request("headers." + k, "must not contain CR, LF or other control characters");
    }
    if (!headers.emplace(ascii_lower(k), v.get<std::string>()).second) {
      throw_bad_request("headers." + k, "is given twice (names are case-insensitive)");
    }
  }
  return headers;
}

std::string algorithm_of(const Json& input, const KeySettings& settings) {
  std::string alg = optional_string(input, "algorithm")
                        .value_or(optional_setting(settings, "amazonpay.algorithm")
                                      .value_or(std::string(kAmazonPayV2)));
  if (!amazonpay_sign_request(alg)) {
    throw_unprocessable(
        "algorithm", "must be " + std::string(kAmazonPayV2) + " or " + std::string(kAmazonPayV1));
  }
  return alg;
}

struct RequestParts {
  std::string method;
  std::string uri;
  QueryParams query;
  std::string host;  // empty unless the URL is an absolute https:// URL
  std::string payload;
};

// Only an absolute https:// URL names the API host. A path such as "//foo//" is split like an
// authority to match the SDK's canonical URI ("/"), but "foo" is not the host the request goes to:
// the KAT signs the region's host there.
bool names_the_host(std::string_view url) {
  constexpr std::string_view kHttps = "https://";
  return url.size() >= kHttps.size() && ascii_lower(url.substr(0, kHttps.size())) == kHttps;
}

RequestParts read_request(const Json& input) {
  RequestParts r;
  r.method = require_string(input, "method");
  if (!is_http_token(r.method)) throw_bad_request("method", "must be an HTTP method such as POST");
  const std::string text = require_string(input, "url");
  if (has_control_char(text)) {
    throw_bad_request("url", "must not contain CR, LF or other control characters");
  }
  const auto url = amazonpay_split_url(text);
  if (!url) throw_bad_request("url", "has a broken %-escape");
  const auto uri = amazonpay_canonical_uri(url->path);
  if (!uri) throw_bad_request("url", "has a broken %-escape in its path");
  r.uri = *uri;
  r.query = url->query;
  if (names_the_host(text)) r.host = url->host;
  r.payload = amazonpay_body_text(input);
  return r;
}

std::string canonical_for(const RequestParts& r, const CanonicalHeaders& signed_headers) {
  return amazonpay_canonical_request(r.method, r.uri, r.query, signed_headers, r.payload);
}

std::string signed_header_list(const CanonicalHeaders& headers) {
  std::string out;
  for (const auto& [name, value] : headers) {
    if (!out.empty()) out.push_back(';');
    out += name;
  }
  return out;
}

}  // namespace

std::string amazonpay_body_text(const Json& input) {
  const auto it = input.find("body");
  if (it == input.end() || it->is_null()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object() || it->is_array()) return it->dump();
  throw_bad_request("body", "must be a string, a JSON object or array, or null");
}

std::optional<SignRequest> amazonpay_sign_request(std::string_view algorithm) {
  if (algorithm == kAmazonPayV2) return SignRequest{SignAlg::kRsaPssSha256, 32};
  if (algorithm == kAmazonPayV1) return SignRequest{SignAlg::kRsaPssSha256, 20};
  return std::nullopt;
}

std::optional<SplitUrl> amazonpay_split_url(std::string_view url) {
  SplitUrl out;
  const auto scheme_end = url.find("://");
  if (scheme_end != std::string_view::npos && url.find_first_of("/?") > scheme_end) {
    url.remove_prefix(scheme_end + 1);  // keep the "//" so the authority is read below
  }
  if (url.starts_with("//")) {
    url.remove_prefix(2);
    const auto end = std::min(url.find_first_of("/?#"), url.size());
    out.host = host_of(url.substr(0, end));
    url.remove_prefix(end);
  }
  url = url.substr(0, url.find('#'));
  const auto q = url.find('?');
  out.path = std::string(url.substr(0, q));
  if (q != std::string_view::npos) {
    auto query = parse_query(url.substr(q + 1));
    if (!query) return std::nullopt;
    out.query = std::move(*query);
  }
  return out;
}

std::optional<std::string> amazonpay_canonical_uri(std::string_view path) {
  const auto decoded = percent_decode(path, false);
  if (!decoded) return std::nullopt;
  std::vector<std::string_view> segments;
  std::string_view rest = *decoded;
  while (!rest.empty()) {
    const auto slash = rest.find('/');
    const auto seg = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
    if (seg.empty() || seg == ".") continue;
    if (seg == "..") {
      if (!segments.empty()) segments.pop_back();
      continue;
    }
    segments.push_back(seg);
  }
  std::string out;
  for (const auto seg : segments) out += "/" + rfc3986_encode(seg);
  if (out.empty() || decoded->ends_with('/')) out.push_back('/');
  return out;
}

std::string amazonpay_canonical_query(const QueryParams& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  for (const auto& [k, v] : query) encoded.emplace_back(rfc3986_encode(k), rfc3986_encode(v));
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [k, v] : encoded) {
    if (!out.empty()) out.push_back('&');
    out += k + "=" + v;
  }
  return out;
}

std::string amazonpay_canonical_request(std::string_view method, std::string_view canonical_uri,
                                        const QueryParams& query, const CanonicalHeaders& headers,
                                        std::string_view payload) {
  std::string out = std::string(method) + "\n" + std::string(canonical_uri) + "\n" +
                    amazonpay_canonical_query(query) + "\n";
  for (const auto& [name, value] : headers) out += name + ":" + std::string(trim(value)) + "\n";
  out += "\n" + signed_header_list(headers) + "\n" + sha256_hex(as_bytes(payload));
  return out;
}

std::string amazonpay_string_to_sign(std::string_view algorithm, std::string_view text) {
  return std::string(algorithm) + "\n" + sha256_hex(as_bytes(text));
}

std::string amazonpay_date(std::chrono::system_clock::time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

Json AmazonPayScheme::describe() const {
  return Json{
      {"name", name()},
      {"description", "Amazon Pay API v2 request signature (RSASSA-PSS, SHA-256)"},
      {"sign", {{"required", {"method", "url"}}, {"optional", {"headers", "body", "algorithm"}}}},
      {"verify",
       {{"required", {"method", "url", "headers"}},
        {"optional", {"body"}},
        // A button's signature is checked from its payload instead of a request.
        {"or", {{"required", {"payload", "signature"}}, {"optional", {"algorithm"}}}}}},
      {"settings", known_settings()},
      {"actions", {{"button-signature", {{"required", {"payload"}}, {"optional", {"algorithm"}}}}}},
      {"algorithms", {kAmazonPayV2, kAmazonPayV1}}};
}

Json AmazonPayScheme::sign(const Json& input, const KeySettings& settings,
                           const SigningKey& sign) const {
  require_object_input(input);
  const std::string alg = algorithm_of(input, settings);
  const std::string key_id = require_setting(settings, "amazonpay.public-key-id");
  const auto region = region_of(require_setting(settings, "amazonpay.region"));
  if (!region) throw_unprocessable("amazonpay.region", "must be one of na, us, eu, de, uk, jp");
  const RequestParts r = read_request(input);
  CanonicalHeaders all = read_headers(input);
  all.emplace("accept", "application/json");
  all.emplace("content-type", "application/json");
  all.emplace("x-amz-pay-date", amazonpay_date(clock_()));
  all.emplace("x-amz-pay-host", r.host.empty() ? region->second : r.host);
  all.emplace("x-amz-pay-region", region->first);
  CanonicalHeaders signed_headers;
  for (const auto& [k, v] : all) {
    if (is_signed_header(k)) signed_headers.emplace(k, v);
  }
  const std::string canonical = canonical_for(r, signed_headers);
  const std::string to_sign = amazonpay_string_to_sign(alg, canonical);
  const std::string signature =
      base64_encode(sign(*amazonpay_sign_request(alg), as_bytes(to_sign)));
  Json headers = Json::object();
  for (const auto& [k, v] : all) headers[k] = v;
  headers["authorization"] = alg + " PublicKeyId=" + key_id +
                             ", SignedHeaders=" + signed_header_list(signed_headers) +
                             ", Signature=" + signature;
  Json out{{"headers", headers}};
  // Not sent to Amazon: when Amazon answers "InvalidRequestSignature" it prints its own string to
  // sign, and these two are what to compare it with.
  out["canonical_request"] = canonical;
  out["string_to_sign"] = to_sign;
  if (input.contains("body") && !input["body"].is_string() && !input["body"].is_null()) {
    out["body"] = r.payload;  // the exact text that was hashed; send this, not a re-serialisation
  }
  return out;
}

std::vector<std::string> AmazonPayScheme::check_settings(const KeySettings& settings) const {
  std::vector<std::string> problems;
  if (!optional_setting(settings, "amazonpay.public-key-id")) {
    problems.push_back("amazonpay.public-key-id is not set");
  }
  const auto region = optional_setting(settings, "amazonpay.region");
  if (!region || !region_of(*region)) problems.push_back("amazonpay.region must be na, eu or jp");
  const auto alg = optional_setting(settings, "amazonpay.algorithm");
  if (alg && !amazonpay_sign_request(*alg)) {
    problems.push_back("amazonpay.algorithm must be AMZN-PAY-RSASSA-PSS-V2 or AMZN-PAY-RSASSA-PSS");
  }
  return problems;
}

}  // namespace p11signd::schemes
