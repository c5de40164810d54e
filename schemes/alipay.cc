#include "schemes/alipay.h"

#include <algorithm>

#include "common/encoding.h"
#include "schemes/ascii.h"
#include "schemes/json_input.h"
#include "schemes/peer_key.h"

namespace p11signd::schemes {
namespace {

constexpr SignRequest kRsa2{SignAlg::kRsaPkcs1Sha256, 0};

bool is_blank(std::string_view v) {
  return std::all_of(v.begin(), v.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; });
}

std::string param_text(const Json& v, const std::string& where) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  if (v.is_number() || v.is_boolean() || v.is_object() || v.is_array()) return v.dump();
  throw_bad_request(where, "has an unsupported type");
}

const FormPairs::value_type* find_param(const FormPairs& params, std::string_view name) {
  const auto it =
      std::find_if(params.begin(), params.end(), [&](const auto& p) { return p.first == name; });
  return it == params.end() ? nullptr : &*it;
}

// What sign() refuses in the caller's params: a sign of their own, a sign_type other than RSA2, and
// a charset other than utf-8. The signed text is the UTF-8 bytes of the JSON input, while Alipay
// checks the bytes of the declared charset: any other would fail there as soon as a value is not
// ASCII.
void check_sign_params(const FormPairs& params) {
  if (find_param(params, "sign") != nullptr)
    throw_unprocessable("params.sign", "is computed; do not send it");
  if (const auto* st = find_param(params, "sign_type"); st != nullptr && st->second != "RSA2") {
    throw_unprocessable("params.sign_type", "must be RSA2 (the only type offered)");
  }
  if (const auto* cs = find_param(params, "charset");
      cs != nullptr && ascii_lower(cs->second) != "utf-8") {
    throw_unprocessable("params.charset",
                        "must be utf-8 (values are signed as UTF-8), not '" + cs->second + "'");
  }
}

FormPairs read_verify_params(const Json& input) {
  if (const auto form = optional_string(input, "form")) {
    auto pairs = form_decode_pairs(*form);
    if (!pairs) throw_bad_request("form", "has a broken %-escape");
    return *pairs;
  }
  if (!input.contains("params")) throw_missing("form", "is required (or \"params\")");
  return alipay_read_params(input["params"]);
}

}  // namespace

std::string alipay_signed_text(const FormPairs& params, bool include_sign_type) {
  FormPairs kept;
  for (const auto& p : params) {
    if (p.first == "sign" || (!include_sign_type && p.first == "sign_type")) continue;
    if (is_blank(p.second)) continue;
    kept.push_back(p);
  }
  std::stable_sort(kept.begin(), kept.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string out;
  for (const auto& [k, v] : kept) {
    if (!out.empty()) out.push_back('&');
    out += k + "=" + v;
  }
  return out;
}

FormPairs alipay_read_params(const Json& params) {
  if (!params.is_object()) throw_bad_request("params", "must be a JSON object");
  FormPairs out;
  for (const auto& [k, v] : params.items()) out.emplace_back(k, param_text(v, "params." + k));
  return out;
}

Json AlipayScheme::describe() const {
  return Json{{"name", name()},
              {"description", "Alipay RSA2: SHA256withRSA over sorted k=v pairs"},
              {"sign", {{"required", {"params"}}, {"optional", Json::array()}}},
              {"verify",
               {{"required", {"form"}},
                {"optional", {"include_sign_type"}},
                {"alternatives", {{"form", "params"}}}}},
              {"settings", known_settings()}};
}

Json AlipayScheme::sign(const Json& input, const KeySettings& settings,
                        const SigningKey& sign) const {
  require_object_input(input);
  FormPairs params = alipay_read_params(require_field(input, "params"));
  check_sign_params(params);
  if (find_param(params, "app_id") == nullptr) {
    params.emplace_back("app_id", require_setting(settings, "alipay.app-id"));
  }
  if (find_param(params, "sign_type") == nullptr) params.emplace_back("sign_type", "RSA2");
  // Alipay requires charset and would read a missing one as its default, not necessarily UTF-8.
  if (find_param(params, "charset") == nullptr) params.emplace_back("charset", "utf-8");
  const std::string signature =
      base64_encode(sign(kRsa2, as_bytes(alipay_signed_text(params, /*include_sign_type=*/true))));
  params.emplace_back("sign", signature);
  Json out_params = Json::object();
  for (const auto& [k, v] : params) out_params[k] = v;
  return Json{{"params", out_params}, {"sign", signature}, {"form", form_encode_pairs(params)}};
}

Json AlipayScheme::verify(const Json& input, const PeerKey& peer) const {
  require_object_input(input);
  const FormPairs params = read_verify_params(input);
  const auto* sign = find_param(params, "sign");
  if (sign == nullptr) return verify_result(false, "no sign parameter");
  const auto signature = base64_decode(sign->second);
  if (!signature) return verify_result(false, "sign is not valid base64");
  // Notifications (rsaCheckV1) leave sign_type out; checking a request we signed (rsaCheckV2) keeps
  // it.
  const auto include = input.find("include_sign_type");
  if (include != input.end() && !include->is_boolean()) {
    throw_bad_request("include_sign_type", "must be true or false");
  }
  const bool with_sign_type = include != input.end() && include->get<bool>();
  const bool ok =
      peer.verify(kRsa2, as_bytes(alipay_signed_text(params, with_sign_type)), *signature);
  return verify_result(ok, ok ? "signature matches" : "sign does not match the parameters");
}

}  // namespace p11signd::schemes
