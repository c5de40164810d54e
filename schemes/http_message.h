#pragma once
// An HTTP request or response as RFC 9421 reads it: the control data (method and target URI, or
// status) and the header fields in the order received. Pure data and lookups; no I/O.

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace p11signd::schemes {

class MessageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The parts of an absolute target URI (RFC 3986 section 3) the derived components read.
struct TargetUri {
  std::string scheme;                // lowercased: "https"
  std::string authority;             // lowercased host, ":port" only when not the scheme's default
  std::string path;                  // as sent (percent-encoding kept); "/" when empty
  std::optional<std::string> query;  // without the '?'; nullopt when there is no '?'
};

// Throws MessageError naming the problem when uri is not "scheme://authority[path][?query]".
TargetUri parse_target_uri(std::string_view uri);

struct HttpMessage {
  std::string method;         // requests: "POST", as sent
  std::string target_uri;     // requests: the absolute URI, "https://example.com/foo?a=b"
  std::optional<int> status;  // responses only
  // Field lines in the order received, names as sent (they are compared case-insensitively).
  std::vector<std::pair<std::string, std::string>> fields;
  std::string body;

  bool is_response() const { return status.has_value(); }
  // Every field line's value under name (any case), in order; each trimmed of surrounding
  // whitespace (RFC 9110 5.5). Empty when the field is absent.
  std::vector<std::string> field_values(std::string_view name) const;
  // Replaces every line of name with one line holding value (or adds it).
  void set_field(const std::string& name, const std::string& value);
};

std::string lowercase(std::string_view s);

}  // namespace p11signd::schemes
