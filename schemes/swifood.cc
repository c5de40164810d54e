#include "schemes/swifood.h"

#include "common/encoding.h"
#include "schemes/json_input.h"
#include "schemes/peer_key.h"

namespace p11signd::schemes {
namespace {

constexpr SignRequest kSwifoodAlg{SignAlg::kRsaPkcs1Sha256, 0};

}  // namespace

std::string swifood_param_text(const Json& param) {
  if (param.is_string()) return param.get<std::string>();
  if (param.is_object() || param.is_array()) return param.dump();
  throw_bad_request("param", "must be a JSON text string or an object");
}

Json SwifoodScheme::describe() const {
  return Json{{"name", name()},
              {"description", "Swifood Open API: SHA256withRSA over the exact param text"},
              {"sign", {{"required", {"param"}}, {"optional", Json::array()}}},
              {"verify", {{"required", {"param", "sign"}}}},
              {"settings", known_settings()}};
}

Json SwifoodScheme::sign(const Json& input, const KeySettings& settings,
                         const SigningKey& sign) const {
  require_object_input(input);
  const std::string param = swifood_param_text(require_field(input, "param"));
  const std::string app_id = require_setting(settings, "swifood.app-id");
  const std::string store_key = require_setting(settings, "swifood.store-key");
  const std::string signature = base64_encode(sign(kSwifoodAlg, as_bytes(param)));
  return Json{{"appId", app_id}, {"storeKey", store_key}, {"param", param}, {"sign", signature}};
}

Json SwifoodScheme::verify(const Json& input, const PeerKey& peer) const {
  require_object_input(input);
  // The callback's param is checked as the exact text received; re-serialising an object would
  // change bytes.
  const std::string param = require_string(input, "param");
  const auto signature = base64_decode(require_string(input, "sign"));
  if (!signature) return verify_result(false, "sign is not valid base64");
  const bool ok = peer.verify(kSwifoodAlg, as_bytes(param), *signature);
  return verify_result(ok, ok ? "signature matches" : "sign does not match param");
}

std::vector<std::string> SwifoodScheme::check_settings(const KeySettings& settings) const {
  std::vector<std::string> problems;
  for (const char* s : {"swifood.app-id", "swifood.store-key"}) {
    if (!optional_setting(settings, s)) problems.push_back(std::string(s) + " is not set");
  }
  return problems;
}

}  // namespace p11signd::schemes
