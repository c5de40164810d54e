// The small parsers every scheme leans on: form bodies (myPOS, Alipay), percent-escapes, base64 and
// hex, and JSON request bodies as the daemon reads them. Each must refuse bad text cleanly, and
// what it accepts must survive its own encoder unchanged.

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "daemon/server/http.h"
#include "schemes/url_encoding.h"

namespace {

using namespace p11signd;

void check(bool ok) {
  if (!ok) std::abort();
}

void form(std::string_view text) {
  if (auto pairs = schemes::form_decode_pairs(text)) {
    check(schemes::form_decode_pairs(schemes::form_encode_pairs(*pairs)) == pairs);
  }
  for (bool plus : {false, true}) {
    if (auto decoded = schemes::percent_decode(text, plus)) {
      check(schemes::percent_decode(schemes::rfc3986_encode(*decoded), false) == decoded);
      check(schemes::percent_decode(schemes::form_urlencode(*decoded), true) == decoded);
    }
  }
}

void codecs(std::string_view text) {
  if (auto bytes = base64_decode(text)) check(base64_decode(base64_encode(*bytes)) == bytes);
  if (auto bytes = base64url_decode(text)) {
    check(base64url_decode(base64url_encode(*bytes)) == bytes);
  }
  if (auto bytes = hex_decode(text)) check(hex_decode(hex_encode(*bytes)) == bytes);
}

void json_body(const std::string& text) {
  try {
    const auto body = daemon::parse_json_object(text);
    (void)daemon::optional_string(body, "data", "");
    (void)body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } catch (const daemon::ApiError& e) {
    check(e.status() == daemon::http::status::bad_request);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  form(text);
  codecs(text);
  json_body(text);
  return 0;
}
