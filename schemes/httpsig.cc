#include "schemes/httpsig.h"

#include <charconv>

#include "common/encoding.h"
#include "schemes/content_digest.h"
#include "schemes/httpsig_alg.h"
#include "schemes/httpsig_base.h"
#include "schemes/httpsig_input.h"
#include "schemes/json_input.h"

namespace p11signd::schemes {
namespace {

constexpr const char* kDefaultLabel = "sig1";
constexpr const char* kDefaultDigest = "sha-256";

std::int64_t now_seconds(const Clock& clock) {
  return std::chrono::duration_cast<std::chrono::seconds>(clock().time_since_epoch()).count();
}

std::optional<std::int64_t> parse_seconds(const std::string& text) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < 0) return std::nullopt;
  return v;
}

std::optional<std::int64_t> optional_seconds(const Json& input, const char* field) {
  const auto it = input.find(field);
  if (it == input.end() || it->is_null()) return std::nullopt;
  if (!it->is_number_integer() || it->get<std::int64_t>() < 0) {
    throw_bad_request(field, "must be a non-negative integer (seconds)");
  }
  return it->get<std::int64_t>();
}

std::vector<std::string> split_digest_algs(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    std::string part = text.substr(start, end - start);
    std::erase(part, ' ');
    if (!part.empty()) out.push_back(part);
    start = end + 1;
  }
  return out;
}

std::optional<std::string> digest_algs_problem(const std::vector<std::string>& algs) {
  if (algs.size() == 1 && algs[0] == "none") return std::nullopt;
  if (algs.empty()) return "names no algorithm (sha-256, sha-512 or none)";
  for (const auto& a : algs) {
    if (a != "sha-256" && a != "sha-512") return "'" + a + "' is not sha-256, sha-512 or none";
  }
  return std::nullopt;
}

std::vector<std::string> digest_algs(const Json& input, const KeySettings& settings) {
  if (const auto in = optional_string(input, "content_digest")) {
    const auto algs = split_digest_algs(*in);
    if (const auto why = digest_algs_problem(algs)) throw_bad_request("content_digest", *why);
    return algs;
  }
  const auto algs = split_digest_algs(
      optional_setting(settings, "httpsig.content-digest").value_or(kDefaultDigest));
  if (const auto why = digest_algs_problem(algs))
    throw_unprocessable("httpsig.content-digest", *why);
  return algs;
}

// The algorithm named by the request or the key's setting (written into Signature-Input), else the
// key type's (left out: RFC 9421 3.3.8 lets the verifier derive it from the key).
struct ChosenAlg {
  std::string name;
  SignRequest req;
  bool explicit_name;
};

ChosenAlg choose_alg(const Json& input, const KeySettings& settings, KeyType key_type) {
  auto named = optional_string(input, "alg");
  const char* field = "alg";
  if (!named) {
    named = optional_setting(settings, "httpsig.alg");
    field = "httpsig.alg";
  }
  const std::string name = named.value_or(std::string(httpsig_default_alg(key_type)));
  const auto req = httpsig_sign_request(name);
  if (!req) {
    throw_unprocessable(field, "'" + name + "' is not an RFC 9421 algorithm this signer makes " +
                                   "(rsa-pss-sha512, rsa-v1_5-sha256, ecdsa-p256-sha256, " +
                                   "ecdsa-p384-sha384, ed25519)");
  }
  if (!key_can_sign(key_type, req->alg)) {
    throw_unprocessable(field, name + " cannot be made with this key (" +
                                   std::string(to_string(key_type)) + "); it makes " +
                                   std::string(httpsig_default_alg(key_type)));
  }
  return ChosenAlg{name, *req, named.has_value()};
}

std::vector<sf::Item> covered_components(const Json& input, const KeySettings& settings,
                                         const HttpMessage& msg, bool with_digest) {
  if (const auto it = input.find("components"); it != input.end() && !it->is_null()) {
    return components_from_json(*it, "components");
  }
  if (const auto s = optional_setting(settings, "httpsig.components")) {
    return components_from_setting(*s, "httpsig.components");
  }
  std::vector<std::string> names = msg.is_response()
                                       ? std::vector<std::string>{"@status"}
                                       : std::vector<std::string>{"@method", "@target-uri"};
  if (with_digest) names.push_back("content-digest");
  std::vector<sf::Item> out;
  for (const auto& n : names) out.push_back(sf::Item{n, {}});
  return out;
}

std::string text_param(const Json& input, const KeySettings& settings, const char* field,
                       const char* setting) {
  if (auto v = optional_string(input, field)) return *v;
  if (setting != nullptr) return optional_setting(settings, setting).value_or("");
  return "";
}

// created, expires, keyid, alg, nonce, tag: the order RFC 9421's examples write them in.
sf::Parameters signature_params(const Json& input, const KeySettings& settings,
                                const ChosenAlg& alg, std::int64_t now) {
  sf::Parameters params;
  const std::int64_t created = optional_seconds(input, "created").value_or(now);
  params.emplace_back("created", created);
  std::optional<std::int64_t> expires_in = optional_seconds(input, "expires_in");
  if (!expires_in) {
    if (const auto s = optional_setting(settings, "httpsig.expires-in")) {
      expires_in = parse_seconds(*s);
      if (!expires_in) throw_unprocessable("httpsig.expires-in", "must be a number of seconds");
    }
  }
  if (const auto expires = optional_seconds(input, "expires")) {
    params.emplace_back("expires", *expires);
  } else if (expires_in && *expires_in > 0) {
    params.emplace_back("expires", created + *expires_in);
  }
  if (const auto keyid = text_param(input, settings, "keyid", "httpsig.keyid"); !keyid.empty()) {
    params.emplace_back("keyid", keyid);
  }
  if (alg.explicit_name) params.emplace_back("alg", alg.name);
  for (const char* name : {"nonce", "tag"}) {
    if (const auto v = text_param(input, settings, name, nullptr); !v.empty())
      params.emplace_back(name, v);
  }
  for (const auto& [name, value] : params) {
    if (std::holds_alternative<std::string>(value)) {
      try {
        sf::serialize(value);
      } catch (const sf::ParseError&) {
        throw_bad_request(name, "must be printable ASCII");
      }
    }
  }
  return params;
}

// Adds Content-Digest when the message has a body: computed, or, when the caller sent one, checked.
std::optional<std::string> apply_content_digest(HttpMessage& msg,
                                                const std::vector<std::string>& algs) {
  if (algs.size() == 1 && algs[0] == "none") return std::nullopt;
  const auto given = msg.field_values("content-digest");
  if (!given.empty()) {
    if (const auto why = content_digest_mismatch(given.front(), as_bytes(msg.body))) {
      throw_unprocessable("headers.Content-Digest", *why);
    }
    return std::nullopt;
  }
  const std::string value = content_digest_field(algs, as_bytes(msg.body));
  msg.set_field("Content-Digest", value);
  return value;
}

std::string label_of(const Json& input, const KeySettings& settings) {
  std::string label = text_param(input, settings, "label", "httpsig.label");
  if (label.empty()) label = kDefaultLabel;
  if (!is_sf_key(label)) {
    throw_bad_request("label", "'" + label + "' is not a structured-field key (a-z, 0-9, _-.*)");
  }
  return label;
}

}  // namespace

Json HttpsigScheme::describe() const {
  return Json{
      {"name", name()},
      {"description",
       "HTTP Message Signatures (RFC 9421) with Content-Digest (RFC 9530): Signature-Input and "
       "Signature of a request or response"},
      {"sign",
       {{"required", Json::array()},
        {"optional",
         {"method", "target_uri", "status", "headers", "body", "request", "components", "alg",
          "label", "keyid", "created", "expires", "expires_in", "nonce", "tag", "content_digest",
          "field_types"}},
        {"alternatives", {{"body", "body_b64"}}}}},
      {"verify",
       {{"required", {"headers"}},
        {"optional",
         {"method", "target_uri", "status", "body", "request", "label", "alg", "clock_skew",
          "max_age", "field_types"}},
        {"alternatives", {{"body", "body_b64"}}}}},
      {"settings", known_settings()},
      {"algorithms", kHttpsigAlgs}};
}

std::vector<std::string> HttpsigScheme::check_settings(const KeySettings& settings) const {
  std::vector<std::string> problems;
  const auto check = [&](auto&& f) {
    try {
      f();
    } catch (const SchemeError& e) {
      problems.push_back(e.field() + ": " + e.what());
    }
  };
  if (const auto alg = optional_setting(settings, "httpsig.alg");
      alg && !httpsig_sign_request(*alg)) {
    problems.push_back("httpsig.alg: '" + *alg +
                       "' is not one of rsa-pss-sha512, rsa-v1_5-sha256, " +
                       "ecdsa-p256-sha256, ecdsa-p384-sha384, ed25519");
  }
  if (const auto c = optional_setting(settings, "httpsig.components")) {
    check([&] { components_from_setting(*c, "httpsig.components"); });
  }
  check([&] { digest_algs(Json::object(), settings); });
  check([&] { signature_params(Json::object(), settings, ChosenAlg{}, 0); });
  if (const auto l = optional_setting(settings, "httpsig.label"); l && !is_sf_key(*l)) {
    problems.push_back("httpsig.label: '" + *l +
                       "' is not a structured-field key (a-z, 0-9, _-.*)");
  }
  return problems;
}

Json HttpsigScheme::sign(const Json& input, const KeySettings& settings,
                         const SigningKey& sign) const {
  require_object_input(input);
  HttpMessage msg = message_from_json(input, "");
  std::optional<HttpMessage> request;
  if (const auto it = input.find("request"); it != input.end() && !it->is_null()) {
    request = message_from_json(*it, "request.");
  }
  const ChosenAlg alg = choose_alg(input, settings, sign.type());
  const std::string label = label_of(input, settings);
  const bool body = has_body(input);
  const auto digest = body ? apply_content_digest(msg, digest_algs(input, settings)) : std::nullopt;
  const bool with_digest = !msg.field_values("content-digest").empty();
  sf::InnerList params{covered_components(input, settings, msg, with_digest),
                       signature_params(input, settings, alg, now_seconds(clock_))};
  const FieldTypes types = field_types_from_json(input);
  std::string base;
  try {
    base = signature_base(params, BaseContext{msg, request ? &*request : nullptr, &types});
  } catch (const ComponentError& e) {
    throw_unprocessable("components", e.what());
  }
  const Bytes signature = sign(alg.req, as_bytes(base));
  Json headers{{"Signature-Input", label + "=" + sf::serialize(params)},
               {"Signature", label + "=:" + base64_encode(signature) + ":"}};
  if (digest) headers["Content-Digest"] = *digest;
  return Json{{"headers", headers},
              {"label", label},
              {"alg", alg.name},
              {"signature", base64_encode(signature)},
              {"signature_base", base}};
}

}  // namespace p11signd::schemes
