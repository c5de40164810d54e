#pragma once
// The words of `p11sign key ...` that the client checks before any request: a VERSION, the
// SETTING=VALUE assignments of `key set`, and the shape of the key `key rotate` makes. Each bad
// one is a UsageError naming it (exit status 2, nothing sent).

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace p11signd::cli {

// "3" -> 3. Anything but a decimal number from 1 up (versions are numbered 1, 2, 3...) is a
// UsageError.
unsigned parse_version(const std::string& text);

// The `--version V` of public-key, certificate and csr as the query parameter the routes take,
// after `separator` ('?' or '&'); "" without --version (the daemon then uses the active version).
std::string version_query(const std::optional<std::string>& version, char separator);

using Assignments = std::vector<std::pair<std::string, std::string>>;

// {"amazonpay.public-key-id=X", "jws.kid=shop-2027"} -> the pairs, in the order given, split at the
// first '='. "SETTING=" (an empty value) is kept: it removes that setting. A word without '=', an
// empty SETTING or the same SETTING twice is a UsageError.
Assignments parse_assignments(const std::vector<std::string>& words);

// The body of PUT /v1/keys/NAME/versions/V/settings, which replaces the version's settings: the
// version's current settings (an object, as the listing gives them) with the assignments applied,
// so that `key set` changes only what it names.
nlohmann::ordered_json settings_body(const nlohmann::ordered_json& current,
                                     const Assignments& assignments);

// What `key rotate` asks for, as typed.
struct RotateShape {
  std::optional<std::string> type;   // rsa, ec, ed25519
  std::optional<unsigned> bits;      // RSA only
  std::optional<std::string> curve;  // EC only
};

// The body of POST /v1/keys/NAME/versions for a generated version: {} (the active version's shape),
// {"type":"rsa","bits":N}, {"type":"ec","curve":C} or {"type":"ed25519"}. --bits alone means RSA
// and --curve alone EC. A size or curve the daemon does not make, or one that does not fit the
// type, is a UsageError.
nlohmann::ordered_json rotate_body(const RotateShape& shape);

}  // namespace p11signd::cli
