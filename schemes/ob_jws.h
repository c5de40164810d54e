#pragma once
// UK Open Banking detached JWS (the x-jws-signature header of the Read/Write API signing profile):
// PS256 over the body as sent, with the directory's claims in the protected header and named in
// crit, sent as "header..signature" (the payload left out, RFC 7515 Appendix F). Two variants:
// v3.1.3 and earlier put b64:false in the header (RFC 7797: the body itself is in the signing
// input); v3.1.4 and later leave b64 out (plain RFC 7515: the body base64url-encoded in it).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "schemes/scheme.h"

namespace p11signd::schemes {

inline constexpr std::string_view kObIat = "http://openbanking.org.uk/iat";
inline constexpr std::string_view kObIss = "http://openbanking.org.uk/iss";
inline constexpr std::string_view kObTan = "http://openbanking.org.uk/tan";

enum class ObJwsVariant {
  kUnencoded,  // "v3.1.3": b64:false, in crit
  kEncoded,    // "v3.1.4": no b64 (also every later version)
};

// "v3.1.3" or "v3.1.4"; nullopt for anything else.
std::optional<ObJwsVariant> parse_ob_jws_variant(std::string_view text);

struct ObJwsClaims {
  std::string kid;
  std::string iss;
  std::string tan;
  std::int64_t iat = 0;  // seconds since the epoch
};

// Pure: the protected header, members in the order the profile's examples list them.
Json ob_jws_header(ObJwsVariant variant, const ObJwsClaims& claims);

// Pure: what the signature covers: header_b64 "." body (when the header says b64:false) or
// header_b64 "." BASE64URL(body).
std::string ob_jws_signing_input(std::string_view header_b64, const Json& header, ByteView body);

struct DetachedJws {
  std::string header_b64;  // as received: the signing input starts with these exact characters
  Json header;
  Bytes signature;
};

// "header..signature": nullopt (with why in *reason) for any other shape, a payload segment that
// is not empty, text that is not unpadded base64url, or a header that is not a JSON object.
std::optional<DetachedJws> parse_detached_jws(std::string_view text, std::string* reason);

// Why the header breaks the profile or RFC 7515/7797's crit rules (alg not PS256; crit missing,
// empty, repeating a name, naming one this verifier does not know, or naming one the header lacks;
// an OB claim or b64 present but not in crit; b64 not a boolean; claims of the wrong JSON type);
// nullopt when it keeps them.
std::optional<std::string> ob_jws_header_problem(const Json& header);

class ObJwsScheme final : public Scheme {
 public:
  explicit ObJwsScheme(Clock clock) : clock_(std::move(clock)) {}
  std::string name() const override { return "ob-jws"; }
  Json describe() const override;
  std::vector<std::string> known_settings() const override {
    return {"ob-jws.kid", "ob-jws.iss", "ob-jws.tan", "ob-jws.variant"};
  }
  // {"body" | "body_b64"} -> {"x-jws-signature", "header"}.
  Json sign(const Json& input, const KeySettings& settings, const SigningKey& sign) const override;
  // {"x-jws-signature", "body" | "body_b64", "max_age"?, "iss"?} -> {"valid", "reason", "header",
  // "variant"}. An iat older than max_age seconds (default 300) or more than 60 s ahead fails.
  Json verify(const Json& input, const PeerKey& peer) const override;
  std::vector<std::string> check_settings(const KeySettings& settings) const override;

 private:
  Clock clock_;
};

}  // namespace p11signd::schemes
