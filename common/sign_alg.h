#pragma once
// The key types and signature algorithms the product offers. Shared vocabulary of schemes/ (which
// ask for a signature), pkcs11/ (which makes it on the token) and daemon/ (which routes the
// request). No PKCS#11 types here.

#include <optional>
#include <string>
#include <string_view>

namespace p11signd {

// What kind of key pair a key is. An RSA key may have any modulus size the token makes (2048,
// 3072, 4096); an EC key is on one named curve.
enum class KeyType {
  kRsa,
  kEcP256,   // ECDSA on NIST P-256 (prime256v1, secp256r1)
  kEcP384,   // ECDSA on NIST P-384 (secp384r1)
  kEd25519,  // EdDSA on edwards25519 (RFC 8032, pure Ed25519)
};

// Every KeyType, in declaration order: what a scheme that takes any key lists as its key_types().
inline constexpr KeyType kAllKeyTypes[] = {KeyType::kRsa, KeyType::kEcP256, KeyType::kEcP384,
                                           KeyType::kEd25519};

enum class SignAlg {
  kRsaPkcs1Sha256,  // "RSA-SHA256": RSASSA-PKCS1-v1_5 with SHA-256 (RS256, SHA256withRSA)
  kRsaPssSha256,    // "RSA-PSS-SHA256": RSASSA-PSS, SHA-256, MGF1-SHA256 (PS256)
  kRsaPssSha512,    // "RSA-PSS-SHA512": RSASSA-PSS, SHA-512, MGF1-SHA512 (RFC 9421 rsa-pss-sha512)
  kEcdsaSha256,     // "ECDSA-SHA256": ECDSA over SHA-256 (ES256 with a P-256 key)
  kEcdsaSha384,     // "ECDSA-SHA384": ECDSA over SHA-384 (ES384 with a P-384 key)
  kEd25519,         // "Ed25519": pure EdDSA, the message itself is signed (no pre-hash)
};

// How an ECDSA signature is written: raw r||s, each left-padded to the curve's size (JWS, RFC
// 9421), or the DER SEQUENCE of two INTEGERs (X.509, OpenSSL, most verifiers). Only ECDSA reads it.
enum class EcdsaEncoding { kRaw, kDer };

// What a caller asks the token for. salt_len only matters for PSS: the hash length (32 for
// SHA-256, 64 for SHA-512; the default) or 20. 0 means "the hash length".
struct SignRequest {
  SignAlg alg = SignAlg::kRsaPkcs1Sha256;
  unsigned salt_len = 0;
  EcdsaEncoding ecdsa_encoding = EcdsaEncoding::kRaw;
};

// The PSS salt length a request means: salt_len, or the hash length when it is 0.
inline unsigned pss_salt_len(const SignRequest& r) {
  if (r.salt_len != 0) return r.salt_len;
  return r.alg == SignAlg::kRsaPssSha512 ? 64 : 32;
}

inline constexpr std::string_view to_string(SignAlg a) {
  switch (a) {
    case SignAlg::kRsaPkcs1Sha256:
      return "RSA-SHA256";
    case SignAlg::kRsaPssSha256:
      return "RSA-PSS-SHA256";
    case SignAlg::kRsaPssSha512:
      return "RSA-PSS-SHA512";
    case SignAlg::kEcdsaSha256:
      return "ECDSA-SHA256";
    case SignAlg::kEcdsaSha384:
      return "ECDSA-SHA384";
    case SignAlg::kEd25519:
      return "Ed25519";
  }
  return "unknown";
}

inline std::optional<SignAlg> parse_sign_alg(std::string_view s) {
  for (SignAlg a : {SignAlg::kRsaPkcs1Sha256, SignAlg::kRsaPssSha256, SignAlg::kRsaPssSha512,
                    SignAlg::kEcdsaSha256, SignAlg::kEcdsaSha384, SignAlg::kEd25519}) {
    if (s == to_string(a)) return a;
  }
  return std::nullopt;
}

// "RSA", "EC P-256", "EC P-384", "Ed25519": how messages and listings name a key type.
inline constexpr std::string_view to_string(KeyType t) {
  switch (t) {
    case KeyType::kRsa:
      return "RSA";
    case KeyType::kEcP256:
      return "EC P-256";
    case KeyType::kEcP384:
      return "EC P-384";
    case KeyType::kEd25519:
      return "Ed25519";
  }
  return "unknown";
}

inline constexpr bool is_rsa(SignAlg a) {
  return a == SignAlg::kRsaPkcs1Sha256 || a == SignAlg::kRsaPssSha256 ||
         a == SignAlg::kRsaPssSha512;
}
inline constexpr bool is_ecdsa(SignAlg a) {
  return a == SignAlg::kEcdsaSha256 || a == SignAlg::kEcdsaSha384;
}

// Whether a key of type t can make alg. ECDSA is pinned to its curve's hash (ES256 = P-256 with
// SHA-256, ES384 = P-384 with SHA-384), as JWS (RFC 7518 3.4) and RFC 9421 pin it.
inline constexpr bool key_can_sign(KeyType t, SignAlg a) {
  switch (t) {
    case KeyType::kRsa:
      return is_rsa(a);
    case KeyType::kEcP256:
      return a == SignAlg::kEcdsaSha256;
    case KeyType::kEcP384:
      return a == SignAlg::kEcdsaSha384;
    case KeyType::kEd25519:
      return a == SignAlg::kEd25519;
  }
  return false;
}

// The algorithm a key makes when nobody names one: RSA-SHA256 for RSA keys (what the API always
// did), and the one algorithm an EC or Ed25519 key makes.
inline constexpr SignAlg default_sign_alg(KeyType t) {
  switch (t) {
    case KeyType::kEcP256:
      return SignAlg::kEcdsaSha256;
    case KeyType::kEcP384:
      return SignAlg::kEcdsaSha384;
    case KeyType::kEd25519:
      return SignAlg::kEd25519;
    case KeyType::kRsa:
      break;
  }
  return SignAlg::kRsaPkcs1Sha256;
}

}  // namespace p11signd
