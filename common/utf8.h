#pragma once
// Text that comes from outside (a process name, an executable path, a key name in a URL) may hold
// any bytes, and JSON holds only UTF-8. The one rule the project applies wherever such text reaches
// the audit log or an answer: well-formed UTF-8 is kept as it is; every byte that is not part of a
// well-formed sequence (Unicode 15, table 3-7: no overlong forms, no surrogates, nothing above
// U+10FFFF, no sequence cut short) becomes the four characters \xNN, lowercase hex. Nothing is
// lost, and the result is always well-formed, so escaping twice changes nothing.

#include <cstddef>
#include <string>
#include <string_view>

namespace p11signd {

// Length of the well-formed UTF-8 sequence that starts text, or 0 when none does.
std::size_t utf8_sequence_length(std::string_view text);
bool is_valid_utf8(std::string_view text);
std::string escape_invalid_utf8(std::string_view text);

}  // namespace p11signd
