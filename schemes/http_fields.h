#pragma once
// The parts of an HTTP message that request-signing schemes (cavage, alipay-v3) read from a scheme
// request: the method and URL, header fields given as a JSON object, a body given as text or
// base64, the request target of a URL, and the random and time values those schemes put into
// headers.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "schemes/scheme.h"

namespace p11signd::schemes {

struct HeaderField {
  std::string name;   // as the caller wrote it, for errors
  std::string lower;  // the name in lowercase, for lookups
  std::string value;  // several values (a JSON array) joined with ", " (RFC 9110 5.3)
};

// {"Name": "value" | ["v1", "v2"], ...}. Names are case-insensitive: the same name twice in any
// case is refused, as are names that are not HTTP tokens and values with control characters.
// `field` is the input member the object came from, for errors ("headers").
std::vector<HeaderField> read_header_fields(const Json& headers, std::string_view field);

const HeaderField* find_header(const std::vector<HeaderField>& headers, std::string_view lower);

// The request's "method" (an HTTP token such as POST) and "url" (no control characters: each is
// part of one line of what is signed); SchemeError (400) naming the field otherwise.
std::string read_method(const Json& input);
std::string read_url(const Json& input);

// The body's bytes from "body" (UTF-8 text) or "body_base64" (any bytes), not both; empty when
// neither is given.
Bytes read_body(const Json& input);

// "https://host/a/b?x=1" -> "/a/b?x=1"; a path (with its query) is returned as given; "" -> "/".
std::string url_request_target(std::string_view url);

// A random UUID (version 4, RFC 9562 section 5.4) in lowercase.
std::string random_uuid();

// The HTTP date form of RFC 9110 5.6.7 (IMF-fixdate): "Sun, 06 Nov 1994 08:49:37 GMT".
std::string http_date(std::chrono::system_clock::time_point t);

}  // namespace p11signd::schemes
