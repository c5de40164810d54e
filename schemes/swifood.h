#pragma once
// Swifood Open API: sign = base64 SHA256withRSA over the exact bytes of `param`. The
// request body is
// {"appId","storeKey","param","sign"} with appId/storeKey from the key's settings.

#include <string>

#include "schemes/scheme.h"

namespace p11signd::schemes {

// Pure: the exact param text. A string is taken byte for byte; an object or array is serialised
// once (compact, keys in the order written) and that same text is what is signed and returned.
std::string swifood_param_text(const Json& param);

class SwifoodScheme final : public Scheme {
 public:
  std::string name() const override { return "swifood"; }
  Json describe() const override;
  std::vector<std::string> known_settings() const override {
    return {"swifood.app-id", "swifood.store-key"};
  }
  // {"param": STRING or OBJECT} -> {"appId","storeKey","param","sign"}.
  Json sign(const Json& input, const KeySettings& settings, const SigningKey& sign) const override;
  // Push callbacks: {"param": STRING, "sign"}.
  Json verify(const Json& input, const PeerKey& peer) const override;
  std::vector<std::string> check_settings(const KeySettings& settings) const override;
};

}  // namespace p11signd::schemes
