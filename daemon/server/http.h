#pragma once
// The HTTP message types and the one error shape every answer uses:
// {"error":{"code":...,"message":...}}. Handlers throw ApiError; it becomes a response at exactly
// one place (Api::handle).

#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/json_bounds.h"
#include "daemon/keystore/keystore.h"

namespace p11signd::daemon {

namespace http = boost::beast::http;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

class ApiError : public std::runtime_error {
 public:
  ApiError(http::status status, std::string code, const std::string& message)
      : std::runtime_error(message), status_(status), code_(std::move(code)) {}
  http::status status() const { return status_; }
  const std::string& code() const { return code_; }

 private:
  http::status status_;
  std::string code_;
};

Response json_response(http::status status, const nlohmann::ordered_json& body);
Response text_response(http::status status, std::string body, const std::string& content_type);
Response error_response(http::status status, const std::string& code, const std::string& message);
Response error_response(const ApiError& e);
// Maps the token layer's error kinds onto statuses and codes.
ApiError to_api_error(const StoreError& e);
// The answer for any exception a handler throws: ApiError as it says, StoreError mapped, anything
// else 500 internal.
Response error_response_for(const std::exception& e);

// Checks a request body in one pass that builds nothing (common/json_bounds.h): well-formed JSON,
// an object, within kMaxJsonDepth levels and kMaxJsonMembers members per object. Returns the
// top-level string members named in `wanted` (what the access check needs before anything is
// parsed). Throws ApiError 400 naming the problem.
JsonScan scan_request_body(std::string_view body,
                           const std::set<std::string, std::less<>>& wanted = {});
// Parses a request body that scan_request_body() accepts; 400 otherwise.
nlohmann::json parse_json_object(const std::string& body);
// 400 unknown_field naming the first top-level member of body not in `known`, with the nearest
// known name: a misspelt optional field ("algo") must not be ignored and its default used.
void reject_unknown_fields(const nlohmann::json& body, const std::vector<std::string>& known);
// Field helpers that name the field in their 400 message.
std::string require_string(const nlohmann::json& body, const std::string& field);
std::string optional_string(const nlohmann::json& body, const std::string& field,
                            const std::string& fallback);

// Frames an answer for the request it answers: HTTP/1.0 is answered in 1.0, anything else in 1.1,
// and the Connection header says whether the connection stays open. Both writers (the loop's and
// the worker's DirectAnswer) use it, so the two paths cannot disagree.
void frame_answer(Response& res, unsigned request_version, bool close_after);

// Seconds a client should wait before retrying after a 503.
inline constexpr int kRetryAfterSeconds = 1;

}  // namespace p11signd::daemon
