#pragma once
// Reading scheme inputs and key settings with errors that name the field, so that a 400/422 tells
// the caller exactly what to fix.

#include <optional>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "schemes/scheme.h"

namespace p11signd::schemes {

[[noreturn]] void throw_bad_request(std::string_view field, std::string_view message);
[[noreturn]] void throw_unprocessable(std::string_view field, std::string_view message);

// The whole input must be a JSON object.
void require_object_input(const Json& input);

const Json& require_field(const Json& obj, std::string_view field);
std::string require_string(const Json& obj, std::string_view field);
std::optional<std::string> optional_string(const Json& obj, std::string_view field);
const Json& require_object(const Json& obj, std::string_view field);
// Standard base64 (RFC 4648 section 4), as the providers print it.
Bytes require_base64(const Json& obj, std::string_view field);

// A key setting the scheme cannot work without; missing is 422 (the key is not set up for this
// scheme).
std::string require_setting(const KeySettings& settings, std::string_view name);
std::optional<std::string> optional_setting(const KeySettings& settings, std::string_view name);

// JSON text that came inside a field (a token's header, payload or claims), parsed only within the
// limits every request body is held to (common/json_bounds.h: depth and members per object).
// nullopt when it is not JSON or goes past them; *why then says which.
std::optional<Json> parse_bounded(std::string_view text, std::string* why);

// The verify answer shape shared by every scheme.
Json verify_result(bool valid, std::string_view reason);

}  // namespace p11signd::schemes
