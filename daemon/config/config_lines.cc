#include "daemon/config/config_lines.h"

#include <algorithm>
#include <sstream>

namespace p11signd::daemon {
namespace {

constexpr const char* kBlanks = " \t\r\n";

std::string trimmed(const std::string& s) {
  const auto first = s.find_first_not_of(kBlanks);
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(kBlanks) - first + 1);
}

}  // namespace

std::string as_boost_reads(const std::string& line) {
  return trimmed(line.substr(0, line.find('#')));
}

std::size_t line_number_of(const std::string& text, const std::string& bad_line) {
  std::istringstream lines(text);
  std::size_t number = 0;
  for (std::string line; std::getline(lines, line);) {
    ++number;
    if (as_boost_reads(line) == bad_line) return number;
  }
  return 0;
}

ConfigLayout scan_config_lines(const std::string& text) {
  ConfigLayout layout;
  std::istringstream lines(text);
  std::string section;
  std::size_t number = 0;
  for (std::string raw; std::getline(lines, raw);) {
    ++number;
    const std::string line = as_boost_reads(raw);
    if (line.empty()) continue;
    if (line.front() == '[' && line.back() == ']') {
      section = line.substr(1, line.size() - 2);
      // Boost ends every prefix with one '.', which "[key.x.]" already has.
      if (!section.empty() && section.back() == '.') section.pop_back();
      layout.sections.push_back({section, "", number});
    } else if (const auto equals = line.find('='); equals != std::string::npos) {
      layout.options.push_back({section, trimmed(line.substr(0, equals)), number});
    }
  }
  return layout;
}

std::string line_prefix(const std::string& path, std::size_t number) {
  if (number == 0) return "";
  return (path.empty() ? "line " : path + ":") + std::to_string(number) + ": ";
}

std::string numbers_list(const std::vector<std::size_t>& numbers) {
  constexpr std::size_t kShown = 10;  // a file of nothing but "[daemon]" lines gets one short line
  const std::size_t shown = std::min(numbers.size(), kShown);
  std::string out;
  for (std::size_t i = 0; i < shown; ++i) {
    if (i > 0) out += i + 1 == numbers.size() ? " and " : ", ";
    out += std::to_string(numbers[i]);
  }
  if (numbers.size() > shown) out += " and " + std::to_string(numbers.size() - shown) + " more";
  return out;
}

}  // namespace p11signd::daemon
