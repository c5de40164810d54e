#pragma once
// The limits every JSON text the daemon reads is held to - request bodies and the payloads and
// claims of signed tokens alike - checked in one linear pass that builds nothing. A parsed value is
// copied, dumped and destroyed recursively (deep nesting exhausts a thread's stack), and an
// ordered object finds each new member by a linear search (members squared), so both are bounded
// before anything is parsed into a value.

#include <cstddef>
#include <map>
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

}  // namespace p11signd
