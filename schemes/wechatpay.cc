#include "schemes/wechatpay.h"

#include <openssl/rand.h>

#include <charconv>
#include <optional>
#include <stdexcept>

#include "common/encoding.h"
#include "schemes/ascii.h"
#include "schemes/json_input.h"
#include "schemes/peer_key.h"

namespace p11signd::schemes {
namespace {

constexpr SignRequest kWechatAlg{SignAlg::kRsaPkcs1Sha256, 0};
constexpr long long kMaxSkewSeconds = 5 * 60;

long long unix_seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

struct Callback {
  std::string timestamp, nonce, signature, body;
  std::string timestamp_field = "timestamp";  // as the caller named it, for errors
};

struct HeaderValue {
  std::string value;
  std::string field;  // "headers." + the name as sent
};

// A header found in any letter case; errors name it as the caller sent it (or, when absent, in
// WeChat Pay's spelling), so that the caller can find it in their own request.
HeaderValue header_value(const Json& headers, std::string_view name) {
  const std::string wanted = ascii_lower(name);
  std::optional<HeaderValue> found;
  for (const auto& [k, v] : headers.items()) {
    if (ascii_lower(k) != wanted) continue;
    const std::string field = "headers." + k;
    if (found) throw_bad_request(field, "is given twice (names are case-insensitive)");
    if (!v.is_string()) throw_bad_request(field, "must be a string");
    found = HeaderValue{v.get<std::string>(), field};
  }
  if (!found) throw_missing("headers." + std::string(name), "is required");
  return *found;
}

// The four values from top-level fields, or from the Wechatpay-* headers as received (any case).
Callback read_callback(const Json& input) {
  Callback c;
  c.body = optional_string(input, "body").value_or("");
  if (!input.contains("headers")) {
    c.timestamp = require_string(input, "timestamp");
    c.nonce = require_string(input, "nonce");
    c.signature = require_string(input, "signature");
    return c;
  }
  const Json& headers = require_object(input, "headers");
  HeaderValue timestamp = header_value(headers, "Wechatpay-Timestamp");
  c.timestamp = std::move(timestamp.value);
  c.timestamp_field = std::move(timestamp.field);
  c.nonce = header_value(headers, "Wechatpay-Nonce").value;
  c.signature = header_value(headers, "Wechatpay-Signature").value;
  return c;
}

}  // namespace

std::string wechatpay_request_message(std::string_view method, std::string_view url,
                                      std::string_view timestamp, std::string_view nonce,
                                      std::string_view body) {
  std::string m;
  for (const auto part : {method, url, timestamp, nonce, body}) {
    m += part;
    m.push_back('\n');
  }
  return m;
}

std::string wechatpay_callback_message(std::string_view timestamp, std::string_view nonce,
                                       std::string_view body) {
  return std::string(timestamp) + "\n" + std::string(nonce) + "\n" + std::string(body) + "\n";
}

std::string wechatpay_url_path(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::string(url);
  const auto path = url.find_first_of("/?", scheme_end + 3);
  if (path == std::string_view::npos) return "/";
  std::string out(url.substr(path));
  if (out.front() == '?') out.insert(out.begin(), '/');
  return out;
}

std::string wechatpay_nonce() {
  static constexpr std::string_view kAlphabet =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string out;
  while (out.size() < 32) {
    unsigned char buf[64];
    if (RAND_bytes(buf, sizeof buf) != 1) throw std::runtime_error("RAND_bytes failed");
    for (const unsigned char b : buf) {
      // 248 = 4 * 62: bytes above it are dropped so that every character is equally likely.
      if (b < 248 && out.size() < 32) out.push_back(kAlphabet[b % 62]);
    }
  }
  return out;
}

Json WechatPayScheme::describe() const {
  return Json{{"name", name()},
              {"description", "WeChat Pay API v3: SHA256withRSA, WECHATPAY2-SHA256-RSA2048 header"},
              {"sign", {{"required", {"method", "url"}}, {"optional", {"body"}}}},
              {"verify",
               {{"required", {"timestamp", "nonce", "signature", "body"}},
                {"alternatives", {{"timestamp", "headers"}}}}},
              {"settings", known_settings()}};
}

Json WechatPayScheme::sign(const Json& input, const KeySettings& settings,
                           const SigningKey& sign) const {
  require_object_input(input);
  const std::string method = require_string(input, "method");
  if (!is_http_token(method)) throw_bad_request("method", "must be an HTTP method such as POST");
  const std::string full_url = require_string(input, "url");
  // Each is one line of the signed message and of the request the application sends.
  if (has_control_char(full_url)) {
    throw_bad_request("url", "must not contain CR, LF or other control characters");
  }
  const std::string url = wechatpay_url_path(full_url);
  const std::string body = optional_string(input, "body").value_or("");
  const std::string mchid = require_setting(settings, "wechatpay.mchid");
  const std::string serial = require_setting(settings, "wechatpay.serial-no");
  const std::string timestamp = std::to_string(unix_seconds(clock_()));
  const std::string nonce = wechatpay_nonce();
  const std::string message = wechatpay_request_message(method, url, timestamp, nonce, body);
  const std::string signature = base64_encode(sign(kWechatAlg, as_bytes(message)));
  const std::string authorization =
      "WECHATPAY2-SHA256-RSA2048 mchid=\"" + mchid + "\",nonce_str=\"" + nonce + "\",timestamp=\"" +
      timestamp + "\",serial_no=\"" + serial + "\",signature=\"" + signature + "\"";
  return Json{{"authorization", authorization},
              {"timestamp", timestamp},
              {"nonce_str", nonce},
              {"signature", signature}};
}

Json WechatPayScheme::verify(const Json& input, const PeerKey& peer) const {
  require_object_input(input);
  const Callback c = read_callback(input);
  long long ts = 0;
  const auto [end, ec] =
      std::from_chars(c.timestamp.data(), c.timestamp.data() + c.timestamp.size(), ts);
  // Negative or absurdly far ahead is no time at all, and would overflow the skew below.
  constexpr long long kLatestTimestamp = 1LL << 40;  // about year 36800
  if (ec != std::errc() || end != c.timestamp.data() + c.timestamp.size() || ts < 0 ||
      ts > kLatestTimestamp) {
    throw_bad_request(c.timestamp_field, "must be decimal seconds since the epoch");
  }
  const long long skew = unix_seconds(clock_()) - ts;
  if (skew > kMaxSkewSeconds || skew < -kMaxSkewSeconds) {
    return verify_result(false, "timestamp is more than 5 minutes off");
  }
  const auto signature = base64_decode(c.signature);
  if (!signature) return verify_result(false, "signature is not valid base64");
  const bool ok = peer.verify(
      kWechatAlg, as_bytes(wechatpay_callback_message(c.timestamp, c.nonce, c.body)), *signature);
  return verify_result(ok, ok ? "signature matches" : "signature does not match the body");
}

std::vector<std::string> WechatPayScheme::check_settings(const KeySettings& settings) const {
  std::vector<std::string> problems;
  for (const char* s : {"wechatpay.mchid", "wechatpay.serial-no"}) {
    if (!optional_setting(settings, s)) problems.push_back(std::string(s) + " is not set");
  }
  return problems;
}

}  // namespace p11signd::schemes
