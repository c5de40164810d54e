#pragma once
// Where things are in a configuration file's text. Boost's INI parser returns options without
// their line numbers; this reads the text the same way (comments cut at '#', blanks trimmed,
// "[section]" and "name = value" lines) so that messages can name the line.

#include <cstddef>
#include <string>
#include <vector>

namespace p11signd::daemon {

struct ConfigLine {
  std::string section;  // "key.shop"; empty before the first [section]
  std::string option;   // "allow-groups"; empty for a [section] line
  std::size_t number;   // from 1

  // The option's name as Boost reports it: "key.shop.allow-groups".
  std::string key() const { return section.empty() ? option : section + "." + option; }
};

struct ConfigLayout {
  std::vector<ConfigLine> options;   // every "name = value" line, in the order Boost returns them
  std::vector<ConfigLine> sections;  // every "[section]" line
};

ConfigLayout scan_config_lines(const std::string& text);

// A line as Boost's config parser sees it: cut at the first '#', blanks trimmed at both ends.
std::string as_boost_reads(const std::string& line);

// Number of the first line that Boost reads as exactly bad_line; 0 if none does. Boost reports
// the line's content only, and the same text may be part of an earlier, valid line.
std::size_t line_number_of(const std::string& text, const std::string& bad_line);

// "PATH:LINE: ", or "line LINE: " without a path; "" for line 0 (unknown).
std::string line_prefix(const std::string& path, std::size_t number);

// "5", "5 and 20", "5, 20 and 31".
std::string numbers_list(const std::vector<std::size_t>& numbers);

}  // namespace p11signd::daemon
