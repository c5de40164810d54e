#pragma once
// Carat Portal: an RS256 JWT sent as "Authorization: Bearer <jwt>". The header is
// exactly
// {"alg":"RS256","typ":"JWT"} - the seed's "Base64 header" example decodes to HS256 and is wrong.
// Claims are merchant_id, merchant_key (read from a file), a millisecond timestamp and the
// request's own claims.

#include <string>

#include "schemes/scheme.h"

namespace p11signd::schemes {

// The fixed header, serialised: {"alg":"RS256","typ":"JWT"}.
const Json& carat_header();

// Pure: the claims to sign. merchant_id and merchant_key are put first when the request lacks them,
// the request's claims follow in the order written, and timestamp (milliseconds, as a string like
// the seed's) goes last when absent.
Json carat_claims(const Json& request_claims, const std::string& merchant_id,
                  const std::string& merchant_key, std::chrono::system_clock::time_point now);

// Pure: 422 naming the first claim that `service` (merchant, merchant-edit, transaction, other)
// requires and the claims lack; 422 for an unknown service.
void carat_check_service(std::string_view service, const Json& claims);

// The merchant key file's text without trailing newlines. 422 naming carat.merchant-key-file when
// unreadable.
std::string carat_read_merchant_key(const std::string& path);

class CaratScheme final : public Scheme {
 public:
  explicit CaratScheme(Clock clock) : clock_(std::move(clock)) {}
  std::string name() const override { return "carat"; }
  Json describe() const override;
  std::vector<std::string> known_settings() const override {
    return {"carat.merchant-id", "carat.merchant-key-file"};
  }
  // {"claims":{...}, "service" (optional)} -> {"jwt","authorization":"Bearer ..."}.
  Json sign(const Json& input, const KeySettings& settings, const SigningKey& sign) const override;
  // {"jwt"} (a leading "Bearer " is accepted); stale (> 10 minutes) or future (> 10 minutes)
  // timestamps fail.
  Json verify(const Json& input, const PeerKey& peer) const override;
  std::vector<std::string> check_settings(const KeySettings& settings) const override;
  std::vector<std::pair<std::string, std::string>> request_fallbacks() const override {
    return {{"carat.merchant-id", "claims.merchant_id"},
            {"carat.merchant-key-file", "claims.merchant_key"}};
  }

 private:
  Clock clock_;
};

}  // namespace p11signd::schemes
