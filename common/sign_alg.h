#pragma once
// The RSA signature algorithms the product offers. Shared vocabulary of schemes/ (which ask for a
// signature), pkcs11/ (which makes it on the token) and daemon/ (which routes the request). No
// PKCS#11 types here.

#include <optional>
#include <string>
#include <string_view>

namespace p11signd {

enum class SignAlg {
  kRsaPkcs1Sha256,  // "RSA-SHA256": RSASSA-PKCS1-v1_5 with SHA-256 (RS256, SHA256withRSA)
  kRsaPssSha256,    // "RSA-PSS-SHA256": RSASSA-PSS, SHA-256, MGF1-SHA256
};

// What a caller asks the token for. salt_len only matters for PSS: 32 (the default, = hash length)
// or 20.
struct SignRequest {
  SignAlg alg = SignAlg::kRsaPkcs1Sha256;
  unsigned salt_len = 32;
};

inline constexpr std::string_view to_string(SignAlg a) {
  return a == SignAlg::kRsaPkcs1Sha256 ? "RSA-SHA256" : "RSA-PSS-SHA256";
}

inline std::optional<SignAlg> parse_sign_alg(std::string_view s) {
  if (s == "RSA-SHA256") return SignAlg::kRsaPkcs1Sha256;
  if (s == "RSA-PSS-SHA256") return SignAlg::kRsaPssSha256;
  return std::nullopt;
}

}  // namespace p11signd
