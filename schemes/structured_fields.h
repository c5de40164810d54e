#pragma once
// Structured Field Values for HTTP (RFC 8941): parsing and the canonical serialisation of Items,
// Inner Lists, Lists and Dictionaries. RFC 9421 signs the serialised form of these values, so the
// serialiser follows RFC 8941 section 4.1 exactly; the parser follows section 4.2 and refuses
// anything it does not allow, saying where.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "common/bytes.h"

namespace p11signd::schemes::sf {

class ParseError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Token {
  std::string value;
  bool operator==(const Token&) const = default;
};
// A Decimal held as thousandths, the precision RFC 8941 serialises (section 4.1.5).
struct Decimal {
  std::int64_t thousandths = 0;
  bool operator==(const Decimal&) const = default;
};

// Integer, Decimal, String, Token, Byte Sequence, Boolean.
using BareItem = std::variant<std::int64_t, Decimal, std::string, Token, Bytes, bool>;
using Parameters = std::vector<std::pair<std::string, BareItem>>;

struct Item {
  BareItem value;
  Parameters params;
};
struct InnerList {
  std::vector<Item> items;
  Parameters params;
};
using Member = std::variant<Item, InnerList>;
using List = std::vector<Member>;
// Keys in the order first seen; a repeated key replaces the value in place (RFC 8941 4.2.2).
using Dictionary = std::vector<std::pair<std::string, Member>>;

Item parse_item(std::string_view text);
List parse_list(std::string_view text);
Dictionary parse_dictionary(std::string_view text);
// One Inner List on its own, "(a b);p=1", as a Signature-Input member is written.
InnerList parse_inner_list(std::string_view text);

std::string serialize(const BareItem& value);
std::string serialize(const Parameters& params);
std::string serialize(const Item& item);
std::string serialize(const InnerList& list);
std::string serialize(const Member& member);
std::string serialize(const List& list);
std::string serialize(const Dictionary& dict);

// The parameter's value, or nullptr when the parameter is absent.
const BareItem* find_param(const Parameters& params, std::string_view key);
// The member under key, or nullptr.
const Member* find_member(const Dictionary& dict, std::string_view key);

}  // namespace p11signd::schemes::sf
