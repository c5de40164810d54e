#pragma once
// Takes a secret string (an imported key's PEM) out of a JSON request body before anything else
// reads the body. A JSON parser would copy the secret into buffers it does not wipe (nlohmann's
// lexer collects every string in a std::string token buffer with the default allocator), so the
// member is found and decoded here, straight into memory that is wiped when released, and blanked
// in the body; the rest of the body is then an ordinary JSON object for the ordinary parser.

#include <memory>
#include <string>
#include <string_view>

namespace p11signd::daemon {

// A string whose whole capacity is wiped (OPENSSL_cleanse) when its last holder lets it go.
using WipedString = std::shared_ptr<std::string>;
WipedString make_wiped_string();

// Wipes s's whole capacity (earlier, longer contents may lie past size()) and empties it.
void wipe_in_place(std::string& s);

// Wipes a request body however the handler that holds it returns.
class BodyWipe {
 public:
  explicit BodyWipe(std::string& body) : body_(body) {}
  ~BodyWipe() { wipe_in_place(body_); }
  BodyWipe(const BodyWipe&) = delete;
  BodyWipe& operator=(const BodyWipe&) = delete;

 private:
  std::string& body_;
};

// Finds the members called name at the top level of the JSON object in body whose values are
// strings, decodes the value (JSON escapes) into a WipedString, and overwrites each such value in
// body with "" padded by spaces: body keeps its length and stays valid JSON with the member's value
// now empty. Returns nullptr, body unchanged, when there is no such member (or body is not an
// object). Throws ApiError 400 (after blanking) when the value is not a valid JSON string or the
// member appears more than once. Keys are compared after decoding their escapes, as a JSON parser
// would. The scan never reads past body's end, whatever body holds; nesting costs no recursion.
WipedString take_secret_member(std::string& body, std::string_view name);

}  // namespace p11signd::daemon
