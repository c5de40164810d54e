#pragma once
// "raw": the plain /v1/keys/NAME/sign. Input {"alg":"RSA-SHA256"|"RSA-PSS-SHA256","data":BASE64};
// the data is signed as given (hashed with SHA-256 by the signer). PSS uses a 32-byte salt.

#include "schemes/scheme.h"

namespace p11signd::schemes {

class RawScheme final : public Scheme {
 public:
  std::string name() const override { return "raw"; }
  Json describe() const override;
  Json sign(const Json& input, const KeySettings& settings, const SignFn& sign) const override;
  // {"alg","data","signature"} -> {"valid"}.
  Json verify(const Json& input, const PeerKey& peer) const override;
};

}  // namespace p11signd::schemes
