#include "daemon/routes/secret_member.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <vector>

#include "daemon/server/http.h"

namespace p11signd::daemon {
namespace {

constexpr auto npos = std::string::npos;

bool is_json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::size_t skip_space(std::string_view s, std::size_t i) {
  while (i < s.size() && is_json_space(s[i])) ++i;
  return i;
}

// s[i] is '"': the index just past the closing quote, or npos when the string never closes.
std::size_t end_of_string(std::string_view s, std::size_t i) {
  for (++i; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;  // the escaped character cannot close the string
    } else if (s[i] == '"') {
      return i + 1;
    }
  }
  return npos;
}

// The index just past the value that starts at s[i], or npos when it does not end. Containers are
// skipped by counting brackets outside strings, so deep nesting costs no stack.
std::size_t end_of_value(std::string_view s, std::size_t i) {
  if (s[i] == '"') return end_of_string(s, i);
  if (s[i] == '{' || s[i] == '[') {
    std::size_t depth = 0;
    while (i < s.size()) {
      if (s[i] == '"') {
        i = end_of_string(s, i);
        if (i == npos) return npos;
        continue;
      }
      if (s[i] == '{' || s[i] == '[') ++depth;
      if ((s[i] == '}' || s[i] == ']') && --depth == 0) return i + 1;
      ++i;
    }
    return npos;
  }
  const std::size_t start = i;  // a number, true, false or null
  while (i < s.size() && !is_json_space(s[i]) && s[i] != ',' && s[i] != '}' && s[i] != ']') ++i;
  return i == start ? npos : i;
}

bool hex4(std::string_view s, std::size_t i, unsigned& out) {
  if (i + 4 > s.size()) return false;
  out = 0;
  for (std::size_t k = i; k < i + 4; ++k) {
    const char c = s[k];
    const unsigned digit = (c >= '0' && c <= '9')   ? c - '0'
                           : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                           : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                                    : 16;
    if (digit == 16) return false;
    out = out * 16 + digit;
  }
  return true;
}

void append_utf8(unsigned cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Decodes \uXXXX at in[i] (in[i] is 'u'), a surrogate pair taking the following \uXXXX too; i ends
// on the last hex digit. False for a malformed or unpaired escape.
bool decode_unicode(std::string_view in, std::size_t& i, std::string& out) {
  unsigned cp = 0;
  if (!hex4(in, i + 1, cp)) return false;
  i += 4;
  if (cp >= 0xDC00 && cp <= 0xDFFF) return false;
  if (cp >= 0xD800 && cp <= 0xDBFF) {
    unsigned low = 0;
    if (i + 2 >= in.size() || in[i + 1] != '\\' || in[i + 2] != 'u' || !hex4(in, i + 3, low) ||
        low < 0xDC00 || low > 0xDFFF) {
      return false;
    }
    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    i += 6;
  }
  append_utf8(cp, out);
  return true;
}

// Appends the decoded text of a JSON string's inside (without its quotes) to out. Decoding never
// lengthens the text, so an out reserved for in.size() bytes is never reallocated. False when in
// is not a valid JSON string (a bad escape, a raw control character).
bool decode_json_string(std::string_view in, std::string& out) {
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (static_cast<unsigned char>(c) < 0x20) return false;
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    if (++i == in.size()) return false;
    switch (in[i]) {
      case '"':
        out.push_back('"');
        break;
      case '\\':
        out.push_back('\\');
        break;
      case '/':
        out.push_back('/');
        break;
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'u':
        if (!decode_unicode(in, i, out)) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

struct Span {
  std::size_t begin;  // the opening quote
  std::size_t end;    // just past the closing quote
};

// The string values of the top-level members called name. Stops at the first thing that is not
// valid JSON: the parser that reads the rest of the body refuses it then.
std::vector<Span> find_string_members(std::string_view body, std::string_view name) {
  std::vector<Span> found;
  std::size_t i = skip_space(body, 0);
  if (i == body.size() || body[i] != '{') return found;
  i = skip_space(body, i + 1);
  while (i < body.size() && body[i] == '"') {
    const std::size_t key_end = end_of_string(body, i);
    if (key_end == npos) break;
    std::string key;
    const std::string_view raw_key = body.substr(i + 1, key_end - i - 2);
    const bool key_ok = decode_json_string(raw_key, key);
    i = skip_space(body, key_end);
    if (i == body.size() || body[i] != ':') break;
    i = skip_space(body, i + 1);
    if (i == body.size()) break;
    const std::size_t value_end = end_of_value(body, i);
    if (value_end == npos) break;
    if (key_ok && key == name && body[i] == '"') found.push_back({i, value_end});
    i = skip_space(body, value_end);
    if (i == body.size() || body[i] != ',') break;
    i = skip_space(body, i + 1);
  }
  return found;
}

// "" and spaces where the string was: same length, still valid JSON, none of the secret left.
void blank(std::string& body, const Span& span) {
  body[span.begin] = '"';
  body[span.begin + 1] = '"';
  std::fill(body.begin() + static_cast<std::ptrdiff_t>(span.begin + 2),
            body.begin() + static_cast<std::ptrdiff_t>(span.end), ' ');
}

}  // namespace

void wipe_in_place(std::string& s) {
  s.resize(s.capacity());
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

WipedString make_wiped_string() {
  return WipedString(new std::string, [](std::string* s) {
    wipe_in_place(*s);
    delete s;
  });
}

WipedString take_secret_member(std::string& body, std::string_view name) {
  const std::vector<Span> spans = find_string_members(body, name);
  if (spans.empty()) return nullptr;
  WipedString value = make_wiped_string();
  bool valid = true;
  if (spans.size() == 1) {
    const Span& s = spans.front();
    const std::string_view inside(body.data() + s.begin + 1, s.end - s.begin - 2);
    value->reserve(inside.size());
    valid = decode_json_string(inside, *value);
  }
  for (const Span& s : spans) blank(body, s);
  const std::string field(name);
  if (spans.size() > 1) {
    throw ApiError(http::status::bad_request, "bad_field",
                   "field '" + field + "' appears more than once");
  }
  if (!valid) {
    throw ApiError(http::status::bad_request, "invalid_json",
                   "field '" + field + "' is not a valid JSON string");
  }
  return value;
}

}  // namespace p11signd::daemon
