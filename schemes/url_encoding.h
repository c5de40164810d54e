#pragma once
// Percent-encoding in the two flavours providers use. Small enough to own rather than pull in a URL
// library; both are pinned by tests against the providers' own examples.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace p11signd::schemes {

using FormPairs = std::vector<std::pair<std::string, std::string>>;

// RFC 3986 section 2.3: only A-Z a-z 0-9 - . _ ~ stay; every other byte (UTF-8 included) becomes
// %XX, uppercase. Amazon Pay's canonical request uses this; a space is %20, never '+'.
std::string rfc3986_encode(std::string_view s);

// application/x-www-form-urlencoded as PHP's urlencode()/http_build_query() write it (what myPOS
// posts): A-Z a-z 0-9 - . _ stay, a space is '+', everything else %XX uppercase ('*' and '~'
// included).
std::string form_urlencode(std::string_view s);
std::string form_encode_pairs(const FormPairs& pairs);

// Decodes %XX (either case); with plus_is_space, '+' is a space (form bodies). nullopt on a broken
// escape.
std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space);

// Splits a form body on '&' and the first '=' of each part, decoding names and values; order is
// kept, empty parts (from "a=1&&b=2") are skipped. nullopt on a broken escape.
std::optional<FormPairs> form_decode_pairs(std::string_view body);

}  // namespace p11signd::schemes
