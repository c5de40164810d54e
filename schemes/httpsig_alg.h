#pragma once
// The RFC 9421 section 3.3 asymmetric algorithms and the signature each asks the token for.

#include <optional>
#include <string_view>

#include "common/sign_alg.h"

namespace p11signd::schemes {

// rsa-pss-sha512 (salt 64, section 3.3.1), rsa-v1_5-sha256, ecdsa-p256-sha256,
// ecdsa-p384-sha384 (raw r||s, sections 3.3.4-3.3.5), ed25519. nullopt for any other name
// (hmac-sha256 needs a shared secret, which a signing key on a token is not).
inline std::optional<SignRequest> httpsig_sign_request(std::string_view alg) {
  if (alg == "rsa-pss-sha512") return SignRequest{SignAlg::kRsaPssSha512, 64};
  if (alg == "rsa-v1_5-sha256") return SignRequest{SignAlg::kRsaPkcs1Sha256, 0};
  if (alg == "ecdsa-p256-sha256") return SignRequest{SignAlg::kEcdsaSha256, 0, EcdsaEncoding::kRaw};
  if (alg == "ecdsa-p384-sha384") return SignRequest{SignAlg::kEcdsaSha384, 0, EcdsaEncoding::kRaw};
  if (alg == "ed25519") return SignRequest{SignAlg::kEd25519, 0};
  return std::nullopt;
}

// The algorithm a key of this type signs with when nothing names one.
inline constexpr std::string_view httpsig_default_alg(KeyType type) {
  switch (type) {
    case KeyType::kRsa:
      return "rsa-pss-sha512";
    case KeyType::kEcP256:
      return "ecdsa-p256-sha256";
    case KeyType::kEcP384:
      return "ecdsa-p384-sha384";
    case KeyType::kEd25519:
      return "ed25519";
  }
  return "rsa-pss-sha512";
}

inline constexpr std::string_view kHttpsigAlgs[] = {
    "rsa-pss-sha512", "rsa-v1_5-sha256", "ecdsa-p256-sha256", "ecdsa-p384-sha384", "ed25519"};

}  // namespace p11signd::schemes
