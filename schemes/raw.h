#pragma once
// "raw": the plain /v1/keys/NAME/sign. Input {"alg", "data": BASE64, "salt_len", "format"}: the
// data is signed as given (the alg's hash inside the signature; Ed25519 signs it itself). alg is
// one of the key type's (RSA-SHA256, RSA-PSS-SHA256, RSA-PSS-SHA512 for RSA; ECDSA-SHA256 for
// P-256; ECDSA-SHA384 for P-384; Ed25519) and defaults to its first. PSS uses a salt of the hash
// length, or 20 with "salt_len":20. ECDSA signatures are DER (what OpenSSL and most verifiers
// read), or raw r||s with "format":"raw".

#include "schemes/scheme.h"

namespace p11signd::schemes {

class RawScheme final : public Scheme {
 public:
  std::string name() const override { return "raw"; }
  Json describe() const override;
  std::vector<std::string> known_settings() const override { return {}; }
  std::vector<KeyType> key_types() const override;
  Json sign(const Json& input, const KeySettings& settings, const SigningKey& sign) const override;
  // {"alg","data","signature"} -> {"valid","reason"}: /v1/schemes/raw/verify with a [peer.NAME].
  // alg defaults to the peer key type's, as in sign.
  Json verify(const Json& input, const PeerKey& peer) const override;
};

}  // namespace p11signd::schemes
