#pragma once
// Reading the httpsig scheme's JSON input: the message (method, target URI or status, headers,
// body), the covered components, the structured field types. Errors name the field (400).

#include <optional>
#include <string>

#include "schemes/httpsig_base.h"
#include "schemes/scheme.h"
#include "schemes/structured_fields.h"

namespace p11signd::schemes {

// {"method","target_uri"} for a request or {"status"} for a response, "headers" (an object of
// name to a string or an array of strings, one per field line, in order) and "body" (text) or
// "body_b64". `prefix` names the object in errors ("request." for the request a response answers).
HttpMessage message_from_json(const Json& obj, const std::string& prefix);
// Whether the object carries a body (body or body_b64; an empty body counts).
bool has_body(const Json& obj);

// One component as a client writes it: an RFC 8941 Item ("\"@query-param\";name=\"id\"") or the
// name bare with its parameters ("@method", "content-digest;sf"). nullopt when it parses as
// neither.
std::optional<sf::Item> parse_component(const std::string& text);

// "components": an array of component texts; `field` names it in errors.
std::vector<sf::Item> components_from_json(const Json& arr, const std::string& field);
// A setting written as the inner list's contents: "\"@method\" \"@authority\" \"content-digest\"".
// Throws SchemeError(kUnprocessable) naming the setting.
std::vector<sf::Item> components_from_setting(const std::string& text, const std::string& setting);

// "field_types": {"example-dict": "dictionary", ...}; empty when absent.
FieldTypes field_types_from_json(const Json& input);

// Whether text is an RFC 8941 key (a label or parameter name).
bool is_sf_key(const std::string& text);

}  // namespace p11signd::schemes
