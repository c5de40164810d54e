#pragma once
// Boost.Program_options builds an error's message by substituting the offending text into a
// template ("unrecognised option '%canonical_option%'") until no placeholder is left, so an
// argument that itself holds a placeholder makes what() loop for ever (found by fuzzing the
// configuration parser). Every report of a command-line error goes through here.

#include <boost/program_options/errors.hpp>
#include <cctype>
#include <string>
#include <vector>

namespace p11signd {

// True when s holds "%word%" (letters and '_' between two '%'), the shape of Boost's placeholders.
inline bool holds_option_placeholder(const std::string& s) {
  for (std::size_t open = s.find('%'); open != std::string::npos; open = s.find('%', open + 1)) {
    std::size_t i = open + 1;
    while (i < s.size() && (std::isalpha(static_cast<unsigned char>(s[i])) || s[i] == '_')) ++i;
    if (i > open + 1 && i < s.size() && s[i] == '%') return true;
  }
  return false;
}

// e.what(), or - when one of the arguments parsed holds a placeholder - a message of ours naming
// that argument.
inline std::string describe_option_error(const boost::program_options::error& e,
                                         const std::vector<std::string>& arguments) {
  for (const auto& argument : arguments) {
    if (holds_option_placeholder(argument)) return "invalid argument '" + argument + "'";
  }
  return e.what();
}

}  // namespace p11signd
