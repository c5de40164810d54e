#include "cli/key_args.h"

#include <charconv>
#include <set>

#include "cli/errors.h"

namespace p11signd::cli {
namespace {

using Json = nlohmann::ordered_json;

std::string type_of(const RotateShape& shape) {
  if (shape.type) return *shape.type;
  if (shape.curve) return "ec";
  return "rsa";
}

void check_rsa(const RotateShape& shape) {
  if (shape.curve) throw UsageError("--curve is for EC keys, not RSA ones");
  if (!shape.bits) throw UsageError("missing --bits N (2048, 3072 or 4096) for an RSA key");
  if (*shape.bits != 2048 && *shape.bits != 3072 && *shape.bits != 4096) {
    throw UsageError("--bits: 2048, 3072 or 4096, not " + std::to_string(*shape.bits));
  }
}

void check_ec(const RotateShape& shape) {
  if (shape.bits) throw UsageError("--bits is for RSA keys; an EC key has its curve's size");
  if (!shape.curve) throw UsageError("missing --curve P-256|P-384 for an EC key");
  if (*shape.curve != "P-256" && *shape.curve != "P-384") {
    throw UsageError("--curve: P-256 or P-384, not '" + *shape.curve + "'");
  }
}

}  // namespace

unsigned parse_version(const std::string& text) {
  unsigned version = 0;
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, version);
  const bool digits_only = !text.empty() && text.front() != '+' && text.front() != '-';
  if (!digits_only || error != std::errc() || stop != end || version == 0) {
    throw UsageError("VERSION must be a version number (1, 2, 3...), not '" + text + "'");
  }
  return version;
}

std::string version_query(const std::optional<std::string>& version, char separator) {
  if (!version) return "";
  return std::string(1, separator) + "version=" + std::to_string(parse_version(*version));
}

Assignments parse_assignments(const std::vector<std::string>& words) {
  if (words.empty()) throw UsageError("missing SETTING=VALUE");
  Assignments out;
  std::set<std::string> seen;
  for (const std::string& word : words) {
    const auto eq = word.find('=');
    if (eq == std::string::npos) {
      throw UsageError("'" + word + "' is not SETTING=VALUE (e.g. amazonpay.public-key-id=ID)");
    }
    std::string name = word.substr(0, eq);
    if (name.empty()) throw UsageError("'" + word + "' has no SETTING before '='");
    if (!seen.insert(name).second) throw UsageError("setting '" + name + "' is given twice");
    out.emplace_back(std::move(name), word.substr(eq + 1));
  }
  return out;
}

Json settings_body(const Json& current, const Assignments& assignments) {
  Json settings = current.is_object() ? current : Json::object();
  for (const auto& [name, value] : assignments) {
    if (value.empty()) {
      settings.erase(name);
    } else {
      settings[name] = value;
    }
  }
  return Json{{"settings", settings}};
}

Json rotate_body(const RotateShape& shape) {
  if (!shape.type && !shape.bits && !shape.curve) return Json::object();
  const std::string type = type_of(shape);
  if (type == "rsa") {
    check_rsa(shape);
    return Json{{"type", "rsa"}, {"bits", *shape.bits}};
  }
  if (type == "ec") {
    check_ec(shape);
    return Json{{"type", "ec"}, {"curve", *shape.curve}};
  }
  if (type == "ed25519") {
    if (shape.bits || shape.curve) throw UsageError("--bits and --curve are not for Ed25519 keys");
    return Json{{"type", "ed25519"}};
  }
  throw UsageError("--type: rsa, ec or ed25519, not '" + type + "'");
}

}  // namespace p11signd::cli
