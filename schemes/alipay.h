#pragma once
// Alipay open platform, RSA2 (SHA256withRSA). Not in the seeds; this follows Alipay's published
// rules: parameters sorted by name, pairs with empty or blank values dropped, "k=v" joined by '&'
// with no URL-encoding, `sign` left out, `sign_type` kept when signing requests and left out when
// verifying notifications.

#include <string>

#include "schemes/scheme.h"
#include "schemes/url_encoding.h"

namespace p11signd::schemes {

// Pure: the text that is signed.
std::string alipay_signed_text(const FormPairs& params, bool include_sign_type);

// Reads "params" (an object). Strings are kept, numbers and booleans take their JSON text, objects
// and arrays (biz_content) are serialised once, compactly, and that text is what is signed and
// returned.
FormPairs alipay_read_params(const Json& params);

class AlipayScheme final : public Scheme {
 public:
  std::string name() const override { return "alipay"; }
  Json describe() const override;
  std::vector<std::string> known_settings() const override { return {"alipay.app-id"}; }
  std::vector<std::pair<std::string, std::string>> request_fallbacks() const override {
    return {{"alipay.app-id", "params.app_id"}};
  }
  // {"params":{...}} -> {"params":{... ,"sign"},"sign","form"}. app_id from alipay.app-id and
  // sign_type RSA2 are filled when absent.
  Json sign(const Json& input, const KeySettings& settings, const SigningKey& sign) const override;
  // Asynchronous notifications: {"form": raw body} or {"params":{...}}; sign_type is left out of
  // the text unless "include_sign_type": true (to check a request signed by sign()).
  Json verify(const Json& input, const PeerKey& peer) const override;
};

}  // namespace p11signd::schemes
