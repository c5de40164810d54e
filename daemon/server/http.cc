#include "daemon/server/http.h"

#include "daemon/routes/json_text.h"

#include <algorithm>

#include "common/nearest_name.h"

namespace p11signd::daemon {

Response json_response(http::status status, const nlohmann::ordered_json& body) {
  // Messages may quote what the client sent (a key name from the path): bytes that are not UTF-8
  // are escaped as the audit log escapes them (json_text.h) instead of making dump() throw.
  return text_response(status, dump_json(body) + "\n", "application/json");
}

void frame_answer(Response& res, unsigned request_version, bool close_after) {
  res.version(request_version == 10 ? 10 : 11);
  res.keep_alive(!close_after);
}

Response text_response(http::status status, std::string body, const std::string& content_type) {
  Response res{status, 11};
  res.set(http::field::server, "p11signd");
  res.set(http::field::content_type, content_type);
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

Response error_response(http::status status, const std::string& code, const std::string& message) {
  nlohmann::ordered_json body;
  body["error"]["code"] = code;
  body["error"]["message"] = message;
  Response res = json_response(status, body);
  if (status == http::status::service_unavailable) {
    res.set(http::field::retry_after, std::to_string(kRetryAfterSeconds));
  }
  return res;
}

Response error_response(const ApiError& e) {
  return error_response(e.status(), e.code(), e.what());
}

Response error_response_for(const std::exception& e) {
  if (const auto* api = dynamic_cast<const ApiError*>(&e)) return error_response(*api);
  if (const auto* store = dynamic_cast<const StoreError*>(&e)) {
    return error_response(to_api_error(*store));
  }
  return error_response(http::status::internal_server_error, "internal", e.what());
}

ApiError to_api_error(const StoreError& e) {
  switch (e.kind()) {
    case StoreErrorKind::kBadInput:
      return {http::status::unprocessable_entity, "invalid_request", e.what()};
    case StoreErrorKind::kNotFound:
      return {http::status::not_found, "not_found", e.what()};
    case StoreErrorKind::kConflict:
    case StoreErrorKind::kNotActive:  // only when every retry lost the race with an activation
      return {http::status::conflict, "conflict", e.what()};
    case StoreErrorKind::kUnavailable:
      return {http::status::service_unavailable, "token_unavailable", e.what()};
    case StoreErrorKind::kDenied:
      return {http::status::forbidden, "forbidden", e.what()};
    case StoreErrorKind::kInternal:
      break;
  }
  return {http::status::internal_server_error, "internal", e.what()};
}

JsonScan scan_request_body(std::string_view body,
                           const std::set<std::string, std::less<>>& wanted) {
  auto scan = scan_json(body, wanted);
  switch (scan.problem) {
    case JsonScan::Problem::kNone:
      break;
    case JsonScan::Problem::kTooManyMembers:
      throw ApiError(http::status::bad_request, "too_many_members",
                     "the request body " + scan.message);
    case JsonScan::Problem::kDuplicate:
      throw ApiError(http::status::bad_request, "bad_field", "the request body's " + scan.message);
    case JsonScan::Problem::kSyntax:
    case JsonScan::Problem::kTooDeep:
      throw ApiError(http::status::bad_request, "invalid_json", "the request body " + scan.message);
  }
  if (!scan.object) {
    throw ApiError(http::status::bad_request, "invalid_json",
                   "the request body must be a JSON object");
  }
  return scan;
}

nlohmann::json parse_json_object(const std::string& body) {
  scan_request_body(body);
  // The scan accepted it: the parse cannot fail, and builds no deeper or wider value than allowed.
  return nlohmann::json::parse(body);
}

void reject_unknown_fields(const nlohmann::json& body, const std::vector<std::string>& known) {
  for (const auto& [member, value] : body.items()) {
    if (std::find(known.begin(), known.end(), member) != known.end()) continue;
    throw ApiError(http::status::bad_request, "unknown_field",
                   "field '" + member + "' is not one this route reads" +
                       did_you_mean(member, known) + "; its fields are " + comma_list(known));
  }
}

std::string require_string(const nlohmann::json& body, const std::string& field) {
  auto it = body.find(field);
  if (it == body.end()) {
    throw ApiError(http::status::bad_request, "missing_field", "field '" + field + "' is required");
  }
  if (!it->is_string()) {
    throw ApiError(http::status::bad_request, "bad_field",
                   "field '" + field + "' must be a string");
  }
  return it->get<std::string>();
}

std::string optional_string(const nlohmann::json& body, const std::string& field,
                            const std::string& fallback) {
  return body.contains(field) ? require_string(body, field) : fallback;
}

}  // namespace p11signd::daemon
