#pragma once
// ASCII case folding for protocol names (HTTP header names, form field names). Deliberately not
// locale-aware: "Signature" must match "SIGNATURE" in every locale and UTF-8 bytes must pass
// through untouched.

#include <string>
#include <string_view>

namespace p11signd::schemes {

inline std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// True when s holds a control character (CR, LF, NUL, ...; HTAB excepted, which HTTP allows in
// header values). Such a value would split or forge a header line where the application sends it.
inline bool has_control_char(std::string_view s) {
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return true;
  }
  return false;
}

// An HTTP token (RFC 9110 5.6.2): what a method or header name may be.
inline bool is_http_token(std::string_view s) {
  if (s.empty()) return false;
  for (const char c : s) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

}  // namespace p11signd::schemes
