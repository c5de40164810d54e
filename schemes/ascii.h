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

}  // namespace p11signd::schemes
