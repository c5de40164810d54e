#pragma once
// Berlin Group NextGenPSD2 (XS2A) request signatures: draft-cavage-http-signatures-12 as the
// NextGenPSD2 Implementation Guidelines profile it. The body's Digest, the X-Request-ID, the Date
// and the headers a key's `cavage.headers` names are signed with rsa-sha256; the keyId is
// "SN=<serial hex>,CA=<issuer DN>" of the key's certificate (`cavage.certificate`, a file), which
// is sent as TPP-Signature-Certificate. Verify checks a bank's signed answer (Digest and
// Signature).

#include <functional>
#include <string>

#include "schemes/cavage_signature.h"
#include "schemes/scheme.h"

namespace p11signd::schemes {

// One entry of `cavage.headers`: a lowercase header name or "(request-target)"; `if_present` (a
// trailing '?' in the setting) signs the header only when the request has it.
struct CoveredHeader {
  std::string name;
  bool if_present = false;
};

// The guidelines' list: digest and x-request-id always, psu-id, psu-corporate-id and
// tpp-redirect-uri when sent, and date.
inline constexpr const char* kCavageDefaultHeaders =
    "digest x-request-id psu-id? psu-corporate-id? tpp-redirect-uri? date";

// Parses a `cavage.headers` value (names separated by spaces or commas). Throws SchemeError
// (kUnprocessable, "cavage.headers") naming the entry that cannot be signed.
std::vector<CoveredHeader> parse_covered_headers(std::string_view setting);

using RequestIdFn = std::function<std::string()>;

class CavageScheme final : public Scheme {
 public:
  explicit CavageScheme(Clock clock, RequestIdFn request_id = nullptr);
  std::string name() const override { return "cavage"; }
  Json describe() const override;
  std::vector<std::string> known_settings() const override {
    return {"cavage.certificate", "cavage.headers", "cavage.digest", "cavage.key-id"};
  }
  // {"method","url","headers"?,"body"|"body_base64"} -> {"headers":{Digest, X-Request-ID, Date,
  // Signature, TPP-Signature-Certificate}, "signing_string", "signature", "key_id"}.
  Json sign(const Json& input, const KeySettings& settings, const SigningKey& sign) const override;
  // {"headers","body"|"body_base64","method"?,"url"?} -> {"valid","reason","covered_headers",
  // "key_id",...}. method and url are needed only when (request-target) is covered.
  Json verify(const Json& input, const PeerKey& peer) const override;
  std::vector<std::string> check_settings(const KeySettings& settings) const override;

 private:
  Clock clock_;
  RequestIdFn request_id_;
};

}  // namespace p11signd::schemes
