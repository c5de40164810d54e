#include "schemes/alipay_v3.h"

#include "common/encoding.h"
#include "schemes/ascii.h"
#include "schemes/http_fields.h"
#include "schemes/json_input.h"
#include "schemes/peer_key.h"

namespace p11signd::schemes {
namespace {

constexpr SignRequest kSha256WithRsa{SignAlg::kRsaPkcs1Sha256, 0};

long long unix_millis(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// A value that goes into the comma-separated authorization header or onto a line of the content.
std::string plain_value(const KeySettings& settings, const char* name, bool required) {
  const auto v =
      required ? std::optional(require_setting(settings, name)) : optional_setting(settings, name);
  if (!v) return "";
  if (v->find_first_of(",=\"") != std::string::npos || has_control_char(*v)) {
    throw_unprocessable(name, "must not contain ',', '=', '\"' or control characters");
  }
  return *v;
}

struct Answer {
  std::string timestamp, nonce, signature, body;
};

std::string answer_header(const std::vector<HeaderField>& headers, const char* name) {
  const auto* h = find_header(headers, name);
  if (h == nullptr) throw_missing(std::string("headers.") + name, "is required");
  return h->value;
}

Answer read_answer(const Json& input) {
  Answer a;
  a.body = optional_string(input, "body").value_or("");
  if (!input.contains("headers")) {
    a.timestamp = require_string(input, "timestamp");
    a.nonce = require_string(input, "nonce");
    a.signature = require_string(input, "signature");
    return a;
  }
  const auto headers = read_header_fields(input["headers"], "headers");
  a.timestamp = answer_header(headers, "alipay-timestamp");
  a.nonce = answer_header(headers, "alipay-nonce");
  a.signature = answer_header(headers, "alipay-signature");
  return a;
}

}  // namespace

std::string alipay_v3_auth_string(std::string_view app_id, std::string_view app_cert_sn,
                                  std::string_view nonce, std::string_view timestamp) {
  std::string out = "app_id=" + std::string(app_id);
  if (!app_cert_sn.empty()) out += ",app_cert_sn=" + std::string(app_cert_sn);
  return out + ",nonce=" + std::string(nonce) + ",timestamp=" + std::string(timestamp);
}

std::string alipay_v3_request_content(std::string_view auth_string, std::string_view method,
                                      std::string_view uri, std::string_view body,
                                      std::string_view app_auth_token) {
  std::string out;
  for (const auto part : {auth_string, method, uri, body}) {
    out += part;
    out.push_back('\n');
  }
  if (!app_auth_token.empty()) out += std::string(app_auth_token) + "\n";
  return out;
}

std::string alipay_v3_answer_content(std::string_view timestamp, std::string_view nonce,
                                     std::string_view body) {
  return std::string(timestamp) + "\n" + std::string(nonce) + "\n" + std::string(body) + "\n";
}

AlipayV3Scheme::AlipayV3Scheme(Clock clock, NonceFn nonce)
    : clock_(std::move(clock)), nonce_(nonce ? std::move(nonce) : random_uuid) {}

Json AlipayV3Scheme::describe() const {
  return Json{{"name", name()},
              {"description", "Alipay OpenAPI v3: ALIPAY-SHA256withRSA authorization header"},
              {"sign", {{"required", {"method", "url"}}, {"optional", {"body", "app_auth_token"}}}},
              {"verify",
               {{"required", {"timestamp", "nonce", "signature", "body"}},
                {"alternatives", {{"timestamp", "headers"}}}}},
              {"settings", known_settings()}};
}

Json AlipayV3Scheme::sign(const Json& input, const KeySettings& settings,
                          const SigningKey& sign) const {
  require_object_input(input);
  const std::string method = read_method(input);
  const std::string url = read_url(input);
  const std::string body = optional_string(input, "body").value_or("");
  const std::string token = optional_string(input, "app_auth_token").value_or("");
  if (has_control_char(token)) {
    throw_bad_request("app_auth_token", "must not contain control characters");
  }
  const std::string nonce = nonce_();
  const std::string timestamp = std::to_string(unix_millis(clock_()));
  const std::string auth = alipay_v3_auth_string(
      plain_value(settings, "alipay-v3.app-id", true),
      plain_value(settings, "alipay-v3.app-cert-sn", false), nonce, timestamp);
  // Alipay's SDKs send the method in capitals and sign it so.
  const std::string upper = [&] {
    std::string m = method;
    for (char& c : m) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
    return m;
  }();
  const std::string content =
      alipay_v3_request_content(auth, upper, url_request_target(url), body, token);
  const std::string signature = base64_encode(sign(kSha256WithRsa, as_bytes(content)));
  const std::string authorization = "ALIPAY-SHA256withRSA " + auth + ",sign=" + signature;
  Json headers = {{"authorization", authorization}};
  if (!token.empty()) headers["alipay-app-auth-token"] = token;
  return Json{{"authorization", authorization},
              {"headers", headers},
              {"nonce", nonce},
              {"timestamp", timestamp},
              {"signature", signature}};
}

Json AlipayV3Scheme::verify(const Json& input, const PeerKey& peer) const {
  require_object_input(input);
  const Answer a = read_answer(input);
  const auto signature = base64_decode(a.signature);
  if (!signature) return verify_result(false, "alipay-signature is not valid base64");
  const bool ok = peer.verify(
      kSha256WithRsa, as_bytes(alipay_v3_answer_content(a.timestamp, a.nonce, a.body)), *signature);
  return verify_result(ok, ok ? "signature matches" : "signature does not match the body");
}

std::vector<std::string> AlipayV3Scheme::check_settings(const KeySettings& settings) const {
  std::vector<std::string> problems;
  for (const auto& [name, required] :
       {std::pair{"alipay-v3.app-id", true}, std::pair{"alipay-v3.app-cert-sn", false}}) {
    try {
      plain_value(settings, name, required);
    } catch (const SchemeError& e) {
      problems.push_back(e.what());
    }
  }
  return problems;
}

}  // namespace p11signd::schemes
