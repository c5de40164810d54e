#pragma once
// HTTP Message Signatures (RFC 9421) with Content-Digest (RFC 9530). sign builds the signature base
// of a request or response from its covered components and returns the Signature-Input,
// Signature and Content-Digest fields to send; verify checks a message as received against a
// [peer] key and says which signature label verified.

#include "schemes/scheme.h"

namespace p11signd::schemes {

class HttpsigScheme final : public Scheme {
 public:
  explicit HttpsigScheme(Clock clock) : clock_(std::move(clock)) {}

  std::string name() const override { return "httpsig"; }
  Json describe() const override;
  std::vector<std::string> known_settings() const override {
    return {"httpsig.components", "httpsig.alg",        "httpsig.keyid",
            "httpsig.label",      "httpsig.expires-in", "httpsig.content-digest"};
  }
  std::vector<KeyType> key_types() const override {
    return {KeyType::kRsa, KeyType::kEcP256, KeyType::kEcP384, KeyType::kEd25519};
  }
  std::vector<std::string> check_settings(const KeySettings& settings) const override;
  Json sign(const Json& input, const KeySettings& settings, const SigningKey& sign) const override;
  Json verify(const Json& input, const PeerKey& peer) const override;

 private:
  Clock clock_;
};

}  // namespace p11signd::schemes
