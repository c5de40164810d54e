#pragma once
// The limits every JSON text the daemon reads is held to - request bodies and the payloads and
// claims of signed tokens alike - checked in one linear pass that builds nothing. A parsed value is
// copied, dumped and destroyed recursively (deep nesting exhausts a thread's stack), and an
// ordered object finds each new member by a linear search (members squared), so both are bounded
// before anything is parsed into a value.

#include <cstddef>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace p11signd {

// No request or provider token needs more than a few levels or a few hundred members.
inline constexpr std::size_t kMaxJsonDepth = 64;
inline constexpr std::size_t kMaxJsonMembers = 1024;  // in any one object

struct JsonScan {
  enum class Problem { kNone, kSyntax, kTooDeep, kTooManyMembers, kDuplicate };
  Problem problem = Problem::kNone;
  std::string message;  // what is wrong, without saying which text ("nests deeper than ...")
  bool object = false;  // the text is a JSON object
  // The top-level members asked for whose value is a string (members with other values are absent).
  std::map<std::string, std::string, std::less<>> strings;
  bool ok() const { return problem == Problem::kNone; }
};

// Syntax, depth and members per object of text, and the top-level string members named in
// `wanted` (each may appear once: a second one is kDuplicate, so that what a check read is what a
// later parse uses).
JsonScan scan_json(std::string_view text, const std::set<std::string, std::less<>>& wanted = {});

// Parses text into an ordered value (members in the order written) in time linear in its size:
// nlohmann's own ordered parse finds each new member by a linear search, which is quadratic in an
// object's members. Same result as nlohmann::ordered_json::parse: a repeated member keeps its first
// place and its last value. Throws nlohmann::json::parse_error when text is not JSON; check it with
// scan_json() first, which also bounds what this builds.
nlohmann::ordered_json parse_ordered(std::string_view text);

}  // namespace p11signd
