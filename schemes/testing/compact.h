#pragma once
// Test-only: the dot-separated parts of a compact JWS or JWT as written on the wire, split by the
// tests themselves rather than by the parser under test.

#include <string>
#include <vector>

namespace p11signd::schemes::testing {

inline std::vector<std::string> split_compact(const std::string& s) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t dot; (dot = s.find('.', start)) != std::string::npos; start = dot + 1) {
    parts.push_back(s.substr(start, dot - start));
  }
  parts.push_back(s.substr(start));
  return parts;
}

}  // namespace p11signd::schemes::testing
