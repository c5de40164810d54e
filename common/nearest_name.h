#pragma once
// "Did you mean" for names a user typed: the configuration's options and schemes, the client's
// commands and actions. The nearest candidate by edit distance, when it is near enough that the
// suggestion is more likely a help than a distraction.

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace p11signd {

// Edits (insert, delete, substitute, swap two neighbours) that turn a into b, ignoring case.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate nearest to typed, if it is at most a third of typed's length away (at least one
// edit); the first of equally near ones. Nothing for an exact match.
std::optional<std::string> nearest_name(std::string_view typed,
                                        std::span<const std::string> candidates);

// " (did you mean 'X'?)" or "".
std::string did_you_mean(std::string_view typed, std::span<const std::string> candidates);

// "a, b, c".
std::string comma_list(std::span<const std::string> names);

}  // namespace p11signd
