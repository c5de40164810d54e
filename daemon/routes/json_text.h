#pragma once
// The one way the daemon serialises JSON for the audit log and for answers. nlohmann's dump()
// throws on a string that is not UTF-8 (type_error.316); a peer's process name or a key name from a
// URL can be any bytes, and a throw there would cost the request its answer and its audit line.
// Here such strings are written with common/utf8.h's rule (each invalid byte as the text \xNN), in
// object keys as in values, and nothing throws for any content.

#include <nlohmann/json.hpp>
#include <string>

namespace p11signd::daemon {

std::string dump_json(const nlohmann::ordered_json& value);

// value with every string (and object key) passed through escape_invalid_utf8.
nlohmann::ordered_json with_escaped_strings(const nlohmann::ordered_json& value);

}  // namespace p11signd::daemon
