#pragma once
// myPOS Checkout API v1.4 (seeds 000, 001). The values of all fields except Signature, in the order
// sent, are joined with '-' and base64-encoded; that base64 TEXT is what is signed (RSA-SHA256,
// PKCS#1 v1.5). The base64 signature goes last as Signature. Callbacks are verified the same way
// with the myPOS certificate.

#include <string>

#include "schemes/scheme.h"
#include "schemes/url_encoding.h"

namespace p11signd::schemes {

// Pure: base64(join(values except the field named exactly Signature, "-")).
std::string mypos_signed_text(const FormPairs& fields);

// Pure: SID, WalletNumber and KeyIndex that the request lacks are taken from mypos.sid,
// mypos.wallet-number and mypos.key-index and inserted where the official SDK puts them: after
// IPCLanguage (or, when that is absent, after the nearest earlier field of IPCmethod, IPCVersion,
// IPCLanguage, SID, WalletNumber). Missing from both the request and the settings is a 422 naming
// the field.
FormPairs mypos_fill_from_settings(FormPairs fields, const KeySettings& settings);

// Reads "fields" as [[name, value], ...] or an object in the order written. Values must be strings
// (kept exactly: "20" and "20.00" differ), integers (their decimal text) or null (empty string); a
// fractional number is refused because its original text is already lost.
FormPairs mypos_read_fields(const Json& fields, std::string_view field_name);

class MyposScheme final : public Scheme {
 public:
  std::string name() const override { return "mypos"; }
  Json describe() const override;
  std::vector<std::string> known_settings() const override {
    return {"mypos.sid", "mypos.wallet-number", "mypos.key-index"};
  }
  // {"fields"} -> {"signature","fields":[... ,["Signature",...]],"form"}.
  Json sign(const Json& input, const KeySettings& settings, const SigningKey& sign) const override;
  // {"form": raw body as posted} or {"fields"}.
  Json verify(const Json& input, const PeerKey& peer) const override;
  std::vector<std::string> check_settings(const KeySettings& settings) const override;
  std::vector<std::pair<std::string, std::string>> request_fallbacks() const override {
    return {{"mypos.sid", "fields.SID"},
            {"mypos.wallet-number", "fields.WalletNumber"},
            {"mypos.key-index", "fields.KeyIndex"}};
  }
};

}  // namespace p11signd::schemes
