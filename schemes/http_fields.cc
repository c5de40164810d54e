#include "schemes/http_fields.h"

#include <openssl/rand.h>

#include <array>
#include <cstdio>
#include <ctime>
#include <stdexcept>

#include "common/encoding.h"
#include "schemes/ascii.h"
#include "schemes/json_input.h"

namespace p11signd::schemes {
namespace {

std::string header_value(const Json& v, const std::string& where) {
  if (v.is_string()) return v.get<std::string>();
  if (!v.is_array() || v.empty()) {
    throw_bad_request(where, "must be a string or a non-empty array of strings");
  }
  std::string joined;
  for (const auto& item : v) {
    if (!item.is_string()) throw_bad_request(where, "must hold strings only");
    if (!joined.empty()) joined += ", ";
    joined += item.get<std::string>();
  }
  return joined;
}

}  // namespace

std::vector<HeaderField> read_header_fields(const Json& headers, std::string_view field) {
  if (!headers.is_object()) throw_bad_request(field, "must be a JSON object of header fields");
  std::vector<HeaderField> out;
  for (const auto& [name, v] : headers.items()) {
    const std::string where = std::string(field) + "." + name;
    if (!is_http_token(name)) throw_bad_request(where, "is not a valid header field name");
    HeaderField h{name, ascii_lower(name), header_value(v, where)};
    if (has_control_char(h.value)) {
      throw_bad_request(where, "must not contain CR, LF or other control characters");
    }
    if (find_header(out, h.lower) != nullptr) {
      throw_bad_request(where, "is given twice (names are case-insensitive)");
    }
    out.push_back(std::move(h));
  }
  return out;
}

const HeaderField* find_header(const std::vector<HeaderField>& headers, std::string_view lower) {
  for (const auto& h : headers) {
    if (h.lower == lower) return &h;
  }
  return nullptr;
}

std::string read_method(const Json& input) {
  std::string method = require_string(input, "method");
  if (!is_http_token(method)) throw_bad_request("method", "must be an HTTP method such as POST");
  return method;
}

std::string read_url(const Json& input) {
  std::string url = require_string(input, "url");
  if (has_control_char(url)) throw_bad_request("url", "must not contain control characters");
  return url;
}

Bytes read_body(const Json& input) {
  const auto text = optional_string(input, "body");
  const bool has_base64 = input.contains("body_base64") && !input["body_base64"].is_null();
  if (text && has_base64) throw_bad_request("body_base64", "give either body or body_base64");
  if (has_base64) return require_base64(input, "body_base64");
  return text ? Bytes(text->begin(), text->end()) : Bytes{};
}

std::string url_request_target(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return url.empty() ? "/" : std::string(url);
  const auto path = url.find_first_of("/?#", scheme_end + 3);
  if (path == std::string_view::npos) return "/";
  std::string out(url.substr(path, url.find('#', path) - path));
  if (out.empty() || out.front() != '/') out.insert(out.begin(), '/');
  return out;
}

std::string random_uuid() {
  std::array<unsigned char, 16> b{};
  if (RAND_bytes(b.data(), static_cast<int>(b.size())) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // variant 10
  const std::string hex = hex_encode(ByteView(b.data(), b.size()));
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

std::string http_date(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

}  // namespace p11signd::schemes
