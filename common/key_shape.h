#pragma once
// What kind of key to make: the key type and, for RSA, the modulus size. Named the way the admin
// API, the configuration and the client write it: "rsa:2048", "rsa:3072", "rsa:4096", "ec:P-256",
// "ec:P-384", "ed25519".

#include <optional>
#include <string>
#include <string_view>

#include "common/sign_alg.h"

namespace p11signd {

struct KeyShape {
  // An RSA key of rsa_bits bits: implicit, so that the many callers that make RSA keys by size keep
  // saying only the size.
  KeyShape(unsigned rsa_bits = 2048) : bits(rsa_bits) {}  // NOLINT(google-explicit-constructor)
  KeyShape(KeyType t, unsigned b) : type(t), bits(b) {}

  KeyType type = KeyType::kRsa;
  unsigned bits = 2048;  // the RSA modulus size; the curve's size for EC keys (256, 384, 256)

  bool operator==(const KeyShape&) const = default;
};

// The size a key of type t is listed with: the curve's size for EC keys (Ed25519: 256, its key
// length); 0 for RSA, whose size is its modulus.
inline constexpr unsigned curve_bits(KeyType t) {
  switch (t) {
    case KeyType::kEcP256:
      return 256;
    case KeyType::kEcP384:
      return 384;
    case KeyType::kEd25519:
      return 256;
    case KeyType::kRsa:
      break;
  }
  return 0;
}

inline std::string to_string(const KeyShape& s) {
  switch (s.type) {
    case KeyType::kRsa:
      return "rsa:" + std::to_string(s.bits);
    case KeyType::kEcP256:
      return "ec:P-256";
    case KeyType::kEcP384:
      return "ec:P-384";
    case KeyType::kEd25519:
      return "ed25519";
  }
  return "unknown";
}

// Parses the names above; "rsa" alone is RSA 2048. nullopt for anything else (including an RSA
// size other than 2048, 3072, 4096).
inline std::optional<KeyShape> parse_key_shape(std::string_view s) {
  for (const KeyShape shape :
       {KeyShape(2048), KeyShape(3072), KeyShape(4096), KeyShape(KeyType::kEcP256, 256),
        KeyShape(KeyType::kEcP384, 384), KeyShape(KeyType::kEd25519, 256)}) {
    if (s == to_string(shape)) return shape;
  }
  if (s == "rsa") return KeyShape(2048);
  return std::nullopt;
}

inline constexpr std::string_view kKeyShapeNames =
    "rsa:2048, rsa:3072, rsa:4096, ec:P-256, ec:P-384 or ed25519";

}  // namespace p11signd
