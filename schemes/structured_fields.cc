#include "schemes/structured_fields.h"

#include <cstdlib>

#include "common/encoding.h"

namespace p11signd::schemes::sf {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_lcalpha(char c) { return c >= 'a' && c <= 'z'; }
bool is_alpha(char c) { return is_lcalpha(c) || (c >= 'A' && c <= 'Z'); }
bool is_tchar(char c) {
  return is_alpha(c) || is_digit(c) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}
bool is_base64_char(char c) {
  return is_alpha(c) || is_digit(c) || c == '+' || c == '/' || c == '=';
}

// A cursor over the field value; every failure names the offset so that a bad header can be found.
class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  // RFC 8941 4.2: leading and trailing SP are discarded; anything left over is an error.
  template <typename F>
  auto whole(F&& parse_body) {
    skip_sp();
    auto result = parse_body();
    skip_sp();
    if (!at_end()) fail("unexpected character after the value");
    return result;
  }

  List list() {
    List out;
    while (!at_end()) {
      out.push_back(member());
      if (!after_member()) break;
    }
    return out;
  }

  Dictionary dictionary() {
    Dictionary out;
    while (!at_end()) {
      std::string name = key();
      Member value;
      if (peek() == '=') {
        ++pos_;
        value = member();
      } else {
        value = Item{true, params()};
      }
      set_member(out, std::move(name), std::move(value));
      if (!after_member()) break;
    }
    return out;
  }

  Item item() {
    BareItem v = bare_item();
    return Item{std::move(v), params()};
  }

  InnerList inner_list() {
    if (peek() != '(') fail("expected '(' to open an inner list");
    ++pos_;
    InnerList out;
    while (!at_end()) {
      skip_sp();
      if (peek() == ')') {
        ++pos_;
        out.params = params();
        return out;
      }
      out.items.push_back(item());
      if (!at_end() && peek() != ' ' && peek() != ')')
        fail("expected a space or ')' in an inner list");
    }
    fail("inner list is not closed with ')'");
  }

 private:
  [[noreturn]] void fail(std::string_view why) const {
    throw ParseError(std::string(why) + " at offset " + std::to_string(pos_));
  }
  bool at_end() const { return pos_ >= s_.size(); }
  char peek() const { return at_end() ? '\0' : s_[pos_]; }
  void skip_sp() {
    while (peek() == ' ') ++pos_;
  }
  void skip_ows() {
    while (peek() == ' ' || peek() == '\t') ++pos_;
  }

  Member member() {
    if (peek() == '(') return inner_list();
    return item();
  }

  // After a list or dictionary member: OWS, then end, or a comma followed by another member.
  bool after_member() {
    skip_ows();
    if (at_end()) return false;
    if (peek() != ',') fail("expected ',' between members");
    ++pos_;
    skip_ows();
    if (at_end()) fail("trailing ',' with no member after it");
    return true;
  }

  static void set_member(Dictionary& d, std::string name, Member value) {
    for (auto& [k, v] : d) {
      if (k == name) {
        v = std::move(value);
        return;
      }
    }
    d.emplace_back(std::move(name), std::move(value));
  }

  Parameters params() {
    Parameters out;
    while (peek() == ';') {
      ++pos_;
      skip_sp();
      std::string name = key();
      BareItem value = true;
      if (peek() == '=') {
        ++pos_;
        value = bare_item();
      }
      bool replaced = false;
      for (auto& [k, v] : out) {
        if (k == name) {
          v = value;
          replaced = true;
        }
      }
      if (!replaced) out.emplace_back(std::move(name), std::move(value));
    }
    return out;
  }

  std::string key() {
    if (!is_lcalpha(peek()) && peek() != '*') fail("a key must start with a-z or '*'");
    const size_t start = pos_;
    while (!at_end()) {
      const char c = peek();
      if (!is_lcalpha(c) && !is_digit(c) && c != '_' && c != '-' && c != '.' && c != '*') break;
      ++pos_;
    }
    return std::string(s_.substr(start, pos_ - start));
  }

  BareItem bare_item() {
    const char c = peek();
    if (c == '-' || is_digit(c)) return number();
    if (c == '"') return string();
    if (c == '*' || is_alpha(c)) return token();
    if (c == ':') return byte_sequence();
    if (c == '?') return boolean();
    fail("expected an item (number, string, token, byte sequence or boolean)");
  }

  BareItem number() {
    bool negative = false;
    if (peek() == '-') {
      negative = true;
      ++pos_;
    }
    if (!is_digit(peek())) fail("expected a digit");
    std::string digits;
    size_t frac_digits = 0;
    bool decimal = false;
    while (!at_end()) {
      const char c = peek();
      if (is_digit(c)) {
        digits.push_back(c);
        if (decimal) ++frac_digits;
      } else if (c == '.' && !decimal) {
        if (digits.size() > 12) fail("a decimal has more than 12 integer digits");
        decimal = true;
      } else {
        break;
      }
      ++pos_;
      if (!decimal && digits.size() > 15) fail("an integer has more than 15 digits");
      if (decimal && frac_digits > 3) fail("a decimal has more than 3 fractional digits");
    }
    if (!decimal) {
      const std::int64_t v = std::strtoll(digits.c_str(), nullptr, 10);
      return negative ? -v : v;
    }
    if (frac_digits == 0) fail("a decimal ends with '.'");
    for (size_t i = frac_digits; i < 3; ++i) digits.push_back('0');
    const std::int64_t v = std::strtoll(digits.c_str(), nullptr, 10);
    return Decimal{negative ? -v : v};
  }

  BareItem string() {
    ++pos_;  // the opening quote
    std::string out;
    while (!at_end()) {
      const char c = s_[pos_++];
      if (c == '\\') {
        if (at_end()) fail("a string ends in '\\'");
        const char next = s_[pos_++];
        if (next != '"' && next != '\\') fail("only \\\" and \\\\ may be escaped in a string");
        out.push_back(next);
      } else if (c == '"') {
        return out;
      } else if (c < 0x20 || c == 0x7f || (c & 0x80) != 0) {
        --pos_;
        fail("a string holds a byte outside printable ASCII");
      } else {
        out.push_back(c);
      }
    }
    fail("a string is not closed with '\"'");
  }

  BareItem token() {
    const size_t start = pos_;
    ++pos_;
    while (!at_end() && (is_tchar(peek()) || peek() == ':' || peek() == '/')) ++pos_;
    return Token{std::string(s_.substr(start, pos_ - start))};
  }

  BareItem byte_sequence() {
    ++pos_;
    const size_t start = pos_;
    while (!at_end() && peek() != ':') {
      if (!is_base64_char(peek())) fail("a byte sequence holds a character outside base64");
      ++pos_;
    }
    if (at_end()) fail("a byte sequence is not closed with ':'");
    const std::string_view b64 = s_.substr(start, pos_ - start);
    ++pos_;
    auto bytes = base64_decode(b64);
    if (!bytes) fail("a byte sequence is not valid padded base64");
    return *bytes;
  }

  BareItem boolean() {
    ++pos_;
    const char c = peek();
    if (c != '0' && c != '1') fail("a boolean must be ?0 or ?1");
    ++pos_;
    return c == '1';
  }

  std::string_view s_;
  size_t pos_ = 0;
};

std::string serialize_decimal(std::int64_t thousandths) {
  std::string out = thousandths < 0 ? "-" : "";
  const std::uint64_t abs = thousandths < 0 ? -static_cast<std::uint64_t>(thousandths)
                                            : static_cast<std::uint64_t>(thousandths);
  out += std::to_string(abs / 1000) + ".";
  std::string frac = std::to_string(1000 + abs % 1000).substr(1);
  while (frac.size() > 1 && frac.back() == '0') frac.pop_back();
  return out + frac;
}

std::string serialize_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c < 0x20 || c == 0x7f || (c & 0x80) != 0) {
      throw ParseError("a string to serialise holds a byte outside printable ASCII");
    }
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

}  // namespace

Item parse_item(std::string_view text) {
  Parser p(text);
  return p.whole([&] { return p.item(); });
}

List parse_list(std::string_view text) {
  Parser p(text);
  return p.whole([&] { return p.list(); });
}

Dictionary parse_dictionary(std::string_view text) {
  Parser p(text);
  return p.whole([&] { return p.dictionary(); });
}

InnerList parse_inner_list(std::string_view text) {
  Parser p(text);
  return p.whole([&] { return p.inner_list(); });
}

std::string serialize(const BareItem& value) {
  struct Visitor {
    std::string operator()(std::int64_t v) const { return std::to_string(v); }
    std::string operator()(const Decimal& d) const { return serialize_decimal(d.thousandths); }
    std::string operator()(const std::string& s) const { return serialize_string(s); }
    std::string operator()(const Token& t) const { return t.value; }
    std::string operator()(const Bytes& b) const { return ":" + base64_encode(b) + ":"; }
    std::string operator()(bool b) const { return b ? "?1" : "?0"; }
  };
  return std::visit(Visitor{}, value);
}

std::string serialize(const Parameters& params) {
  std::string out;
  for (const auto& [k, v] : params) {
    out += ";" + k;
    const bool* flag = std::get_if<bool>(&v);
    if (flag == nullptr || !*flag) out += "=" + serialize(v);
  }
  return out;
}

std::string serialize(const Item& item) { return serialize(item.value) + serialize(item.params); }

std::string serialize(const InnerList& list) {
  std::string out = "(";
  for (size_t i = 0; i < list.items.size(); ++i) {
    if (i > 0) out += " ";
    out += serialize(list.items[i]);
  }
  return out + ")" + serialize(list.params);
}

std::string serialize(const Member& member) {
  return std::visit([](const auto& m) { return serialize(m); }, member);
}

std::string serialize(const List& list) {
  std::string out;
  for (size_t i = 0; i < list.size(); ++i) {
    if (i > 0) out += ", ";
    out += serialize(list[i]);
  }
  return out;
}

std::string serialize(const Dictionary& dict) {
  std::string out;
  for (size_t i = 0; i < dict.size(); ++i) {
    if (i > 0) out += ", ";
    const auto& [k, v] = dict[i];
    out += k;
    const Item* item = std::get_if<Item>(&v);
    const bool* flag = item == nullptr ? nullptr : std::get_if<bool>(&item->value);
    if (flag != nullptr && *flag) {
      out += serialize(item->params);
    } else {
      out += "=" + serialize(v);
    }
  }
  return out;
}

const BareItem* find_param(const Parameters& params, std::string_view key) {
  for (const auto& [k, v] : params) {
    if (k == key) return &v;
  }
  return nullptr;
}

const Member* find_member(const Dictionary& dict, std::string_view key) {
  for (const auto& [k, v] : dict) {
    if (k == key) return &v;
  }
  return nullptr;
}

}  // namespace p11signd::schemes::sf
