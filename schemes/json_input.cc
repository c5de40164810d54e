#include "schemes/json_input.h"

#include "common/encoding.h"
#include "common/json_bounds.h"

namespace p11signd::schemes {

void throw_bad_request(std::string_view field, std::string_view message) {
  throw SchemeError(SchemeErrorKind::kBadRequest, std::string(field),
                    std::string(field) + ": " + std::string(message));
}

void throw_unprocessable(std::string_view field, std::string_view message) {
  throw SchemeError(SchemeErrorKind::kUnprocessable, std::string(field),
                    std::string(field) + ": " + std::string(message));
}

void require_object_input(const Json& input) {
  if (!input.is_object()) throw_bad_request("body", "must be a JSON object");
}

const Json& require_field(const Json& obj, std::string_view field) {
  const auto it = obj.find(field);
  if (it == obj.end()) throw_bad_request(field, "is required");
  return *it;
}

std::string require_string(const Json& obj, std::string_view field) {
  const Json& v = require_field(obj, field);
  if (!v.is_string()) throw_bad_request(field, "must be a string");
  return v.get<std::string>();
}

std::optional<std::string> optional_string(const Json& obj, std::string_view field) {
  const auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) throw_bad_request(field, "must be a string");
  return it->get<std::string>();
}

const Json& require_object(const Json& obj, std::string_view field) {
  const Json& v = require_field(obj, field);
  if (!v.is_object()) throw_bad_request(field, "must be a JSON object");
  return v;
}

Bytes require_base64(const Json& obj, std::string_view field) {
  auto decoded = base64_decode(require_string(obj, field));
  if (!decoded) throw_bad_request(field, "is not valid base64");
  return *decoded;
}

std::string require_setting(const KeySettings& settings, std::string_view name) {
  auto v = optional_setting(settings, name);
  if (!v) throw_unprocessable(name, "is not set for this key in the configuration");
  return *v;
}

std::optional<std::string> optional_setting(const KeySettings& settings, std::string_view name) {
  const auto it = settings.find(std::string(name));
  if (it == settings.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

std::optional<Json> parse_bounded(std::string_view text, std::string* why) {
  const auto scan = scan_json(text);
  if (!scan.ok()) {
    *why = scan.message;
    return std::nullopt;
  }
  return parse_ordered(text);
}

Json verify_result(bool valid, std::string_view reason) {
  return Json{{"valid", valid}, {"reason", std::string(reason)}};
}

}  // namespace p11signd::schemes
