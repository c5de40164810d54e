#pragma once
// "raw": the plain /v1/keys/NAME/sign. Input {"alg":"RSA-SHA256"|"RSA-PSS-SHA256","data":BASE64},
// alg defaulting to RSA-SHA256; the data is signed as given (hashed with SHA-256 by the signer).
// PSS uses a 32-byte salt, or 20 with "salt_len":20.

#include "schemes/scheme.h"

namespace p11signd::schemes {

class RawScheme final : public Scheme {
 public:
  std::string name() const override { return "raw"; }
  Json describe() const override;
  std::vector<std::string> known_settings() const override { return {}; }
  Json sign(const Json& input, const KeySettings& settings, const SigningKey& sign) const override;
  // {"alg","data","signature"} -> {"valid","reason"}: /v1/schemes/raw/verify with a [peer.NAME].
  Json verify(const Json& input, const PeerKey& peer) const override;
};

}  // namespace p11signd::schemes
