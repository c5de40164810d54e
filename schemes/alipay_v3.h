#pragma once
// Alipay OpenAPI v3 (the /v3/ endpoints, JSON bodies). A request carries
//   authorization: ALIPAY-SHA256withRSA app_id=..[,app_cert_sn=..],nonce=..,timestamp=..,sign=..
// where sign is SHA256withRSA over "authString\nMETHOD\nURI\nbody\n" followed by "appAuthToken\n"
// when the request acts for a merchant (header alipay-app-auth-token). Answers are signed by Alipay
// over "alipay-timestamp\nalipay-nonce\nbody\n" (header alipay-signature). The RSA2 form signing of
// the older gateway is the `alipay` scheme.

#include <functional>
#include <string>

#include "schemes/scheme.h"

namespace p11signd::schemes {

// Pure: "app_id=A[,app_cert_sn=S],nonce=N,timestamp=T" in the order Alipay's SDKs write it.
std::string alipay_v3_auth_string(std::string_view app_id, std::string_view app_cert_sn,
                                  std::string_view nonce, std::string_view timestamp);
// Pure: the signed content of a request.
std::string alipay_v3_request_content(std::string_view auth_string, std::string_view method,
                                      std::string_view uri, std::string_view body,
                                      std::string_view app_auth_token);
// Pure: the signed content of an answer.
std::string alipay_v3_answer_content(std::string_view timestamp, std::string_view nonce,
                                     std::string_view body);

using NonceFn = std::function<std::string()>;

class AlipayV3Scheme final : public Scheme {
 public:
  explicit AlipayV3Scheme(Clock clock, NonceFn nonce = nullptr);
  std::string name() const override { return "alipay-v3"; }
  Json describe() const override;
  std::vector<std::string> known_settings() const override {
    return {"alipay-v3.app-id", "alipay-v3.app-cert-sn"};
  }
  // {"method","url","body"?,"app_auth_token"?} -> {"authorization","headers","nonce","timestamp",
  // "signature"}.
  Json sign(const Json& input, const KeySettings& settings, const SigningKey& sign) const override;
  // {"headers":{alipay-timestamp, alipay-nonce, alipay-signature},"body"} or
  // {"timestamp","nonce","signature","body"}.
  Json verify(const Json& input, const PeerKey& peer) const override;
  std::vector<std::string> check_settings(const KeySettings& settings) const override;

 private:
  Clock clock_;
  NonceFn nonce_;
};

}  // namespace p11signd::schemes
