#pragma once
// WeChat Pay API v3. Requests: SHA256withRSA over "METHOD\nURL\ntimestamp\nnonce\nbody\n" (URL =
// path and query as sent), put in the header WECHATPAY2-SHA256-RSA2048
// mchid="",nonce_str="",timestamp="", serial_no="",signature="". Callbacks and responses: the
// platform's signature over "timestamp\nnonce\nbody\n", refused when the timestamp is more than 5
// minutes off.

#include <string>

#include "schemes/scheme.h"

namespace p11signd::schemes {

// Pure message builders.
std::string wechatpay_request_message(std::string_view method, std::string_view url,
                                      std::string_view timestamp, std::string_view nonce,
                                      std::string_view body);
std::string wechatpay_callback_message(std::string_view timestamp, std::string_view nonce,
                                       std::string_view body);

// "https://api.mch.weixin.qq.com/v3/x?y=1" -> "/v3/x?y=1"; a path is returned as it is.
std::string wechatpay_url_path(std::string_view url);

// 32 characters from [0-9A-Za-z], from OpenSSL's RAND_bytes without modulo bias.
std::string wechatpay_nonce();

class WechatPayScheme final : public Scheme {
 public:
  explicit WechatPayScheme(Clock clock) : clock_(std::move(clock)) {}
  std::string name() const override { return "wechatpay"; }
  Json describe() const override;
  std::vector<std::string> known_settings() const override {
    return {"wechatpay.mchid", "wechatpay.serial-no"};
  }
  // {"method","url","body"?} -> {"authorization","timestamp","nonce_str","signature"}.
  Json sign(const Json& input, const KeySettings& settings, const SigningKey& sign) const override;
  // {"timestamp","nonce","signature","body"} or {"headers":{"Wechatpay-Timestamp",...},"body"}.
  Json verify(const Json& input, const PeerKey& peer) const override;
  std::vector<std::string> check_settings(const KeySettings& settings) const override;

 private:
  Clock clock_;
};

}  // namespace p11signd::schemes
