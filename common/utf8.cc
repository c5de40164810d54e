#include "common/utf8.h"

#include <cstdint>

namespace p11signd {
namespace {

bool in(std::uint8_t b, std::uint8_t lo, std::uint8_t hi) { return b >= lo && b <= hi; }

// The range the second byte of a sequence must fall in; it is narrower than 80..BF after E0, ED,
// F0 and F4 (overlongs, surrogates, above U+10FFFF).
struct Lead {
  std::size_t length;
  std::uint8_t second_lo;
  std::uint8_t second_hi;
};

Lead lead_of(std::uint8_t b) {
  if (b < 0x80) return {1, 0, 0};
  if (in(b, 0xC2, 0xDF)) return {2, 0x80, 0xBF};
  if (b == 0xE0) return {3, 0xA0, 0xBF};
  if (b == 0xED) return {3, 0x80, 0x9F};
  if (in(b, 0xE1, 0xEF)) return {3, 0x80, 0xBF};
  if (b == 0xF0) return {4, 0x90, 0xBF};
  if (in(b, 0xF1, 0xF3)) return {4, 0x80, 0xBF};
  if (b == 0xF4) return {4, 0x80, 0x8F};
  return {0, 0, 0};  // 80..C1 (continuation or overlong lead), F5..FF
}

}  // namespace

std::size_t utf8_sequence_length(std::string_view text) {
  if (text.empty()) return 0;
  const auto byte = [&text](std::size_t i) { return static_cast<std::uint8_t>(text[i]); };
  const Lead lead = lead_of(byte(0));
  if (lead.length <= 1 || text.size() < lead.length) return lead.length == 1 ? 1 : 0;
  if (!in(byte(1), lead.second_lo, lead.second_hi)) return 0;
  for (std::size_t i = 2; i < lead.length; ++i) {
    if (!in(byte(i), 0x80, 0xBF)) return 0;
  }
  return lead.length;
}

bool is_valid_utf8(std::string_view text) {
  while (!text.empty()) {
    const std::size_t n = utf8_sequence_length(text);
    if (n == 0) return false;
    text.remove_prefix(n);
  }
  return true;
}

std::string escape_invalid_utf8(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const std::size_t n = utf8_sequence_length(text);
    if (n > 0) {
      out.append(text.substr(0, n));
      text.remove_prefix(n);
      continue;
    }
    const auto b = static_cast<std::uint8_t>(text.front());
    out += "\\x";
    out += kHex[b >> 4];
    out += kHex[b & 0xF];
    text.remove_prefix(1);
  }
  return out;
}

}  // namespace p11signd
