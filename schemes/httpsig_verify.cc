// HttpsigScheme::verify: each signature of a received message is checked on its own (RFC 9421
// 3.2), and the answer names the first label that verified.

#include <optional>

#include "common/encoding.h"
#include "common/public_key.h"
#include "schemes/content_digest.h"
#include "schemes/httpsig.h"
#include "schemes/httpsig_alg.h"
#include "schemes/httpsig_base.h"
#include "schemes/httpsig_input.h"
#include "schemes/json_input.h"
#include "schemes/peer_key.h"

namespace p11signd::schemes {
namespace {

constexpr std::int64_t kDefaultClockSkew = 60;

struct Policy {
  std::int64_t now = 0;
  std::int64_t clock_skew = kDefaultClockSkew;
  std::optional<std::int64_t> max_age;
  std::optional<std::string> pinned_alg;
  KeyType key_type = KeyType::kRsa;
};

// Why one signature does not verify; nullopt when it does.
using Failure = std::optional<std::string>;

std::optional<std::int64_t> int_param(const sf::Parameters& params, std::string_view key) {
  const sf::BareItem* v = sf::find_param(params, key);
  if (v == nullptr) return std::nullopt;
  if (const auto* i = std::get_if<std::int64_t>(v)) return *i;
  return std::int64_t{-1};
}

Failure check_times(const sf::Parameters& params, const Policy& policy) {
  const auto created = int_param(params, "created");
  if (!created) return "it has no created parameter";
  if (*created < 0) return "created is not an Integer";
  if (*created > policy.now + policy.clock_skew) {
    return "created (" + std::to_string(*created) + ") is in the future";
  }
  if (policy.max_age && policy.now - *created > *policy.max_age + policy.clock_skew) {
    return "created (" + std::to_string(*created) + ") is older than max_age";
  }
  if (const auto expires = int_param(params, "expires")) {
    if (*expires < 0) return "expires is not an Integer";
    if (*expires + policy.clock_skew < policy.now) {
      return "it expired at " + std::to_string(*expires);
    }
  }
  return std::nullopt;
}

// The alg parameter, when present, must be one the peer key makes and agree with a pinned alg;
// otherwise the pinned alg or the key type's.
std::variant<std::string, SignRequest> pick_alg(const sf::Parameters& params, const Policy& policy,
                                                std::string* name) {
  std::optional<std::string> named;
  if (const sf::BareItem* v = sf::find_param(params, "alg")) {
    const auto* s = std::get_if<std::string>(v);
    if (s == nullptr) return std::string("alg is not a String");
    named = *s;
    if (policy.pinned_alg && *policy.pinned_alg != *s) {
      return "alg " + *s + " is not the expected " + *policy.pinned_alg;
    }
  }
  *name =
      named.value_or(policy.pinned_alg.value_or(std::string(httpsig_default_alg(policy.key_type))));
  const auto req = httpsig_sign_request(*name);
  if (!req) return "alg " + *name + " is not supported";
  if (!key_can_sign(policy.key_type, req->alg)) {
    return "alg " + *name + " does not fit the peer key (" +
           std::string(to_string(policy.key_type)) + ")";
  }
  return *req;
}

bool covers(const sf::InnerList& params, std::string_view name) {
  for (const auto& id : params.items) {
    const auto* s = std::get_if<std::string>(&id.value);
    if (s != nullptr && *s == name && id.params.empty()) return true;
  }
  return false;
}

Failure check_digest(const sf::InnerList& params, const HttpMessage& msg, bool body_given) {
  const auto field = msg.field_values("content-digest");
  if (!covers(params, "content-digest") && (field.empty() || !body_given)) return std::nullopt;
  if (field.empty()) return std::nullopt;  // the base itself will say the covered field is absent
  if (!body_given)
    return std::string("content-digest is covered but no body was given to check it");
  std::string joined = field.front();
  for (size_t i = 1; i < field.size(); ++i) joined += ", " + field[i];
  return content_digest_mismatch(joined, as_bytes(msg.body));
}

struct Verified {
  std::string alg;
  std::string base;
};

std::variant<std::string, Verified> verify_one(const sf::Member& input_member,
                                               const sf::Member* signature_member,
                                               const BaseContext& ctx, bool body_given,
                                               const PeerKey& peer, const Policy& policy) {
  const auto* params = std::get_if<sf::InnerList>(&input_member);
  if (params == nullptr) return std::string("its Signature-Input member is not an Inner List");
  const auto* sig_item = signature_member ? std::get_if<sf::Item>(signature_member) : nullptr;
  const auto* signature = sig_item ? std::get_if<Bytes>(&sig_item->value) : nullptr;
  if (signature == nullptr) return std::string("Signature has no Byte Sequence under this label");
  if (auto why = check_times(params->params, policy)) return *why;
  std::string alg_name;
  const auto req = pick_alg(params->params, policy, &alg_name);
  if (const auto* why = std::get_if<std::string>(&req)) return *why;
  std::string base;
  try {
    base = signature_base(*params, ctx);
  } catch (const ComponentError& e) {
    return std::string(e.what());
  }
  if (auto why = check_digest(*params, ctx.message, body_given)) return *why;
  if (!peer.verify(std::get<SignRequest>(req), as_bytes(base), *signature)) {
    return std::string("the signature does not match the signature base");
  }
  return Verified{alg_name, base};
}

sf::Dictionary parse_signature_field(const HttpMessage& msg, const char* name, std::string* why) {
  const auto values = msg.field_values(name);
  if (values.empty()) {
    *why = std::string("the message has no ") + name + " field";
    return {};
  }
  std::string joined = values.front();
  for (size_t i = 1; i < values.size(); ++i) joined += ", " + values[i];
  try {
    return sf::parse_dictionary(joined);
  } catch (const sf::ParseError& e) {
    *why = std::string(name) + " is not a structured Dictionary: " + e.what();
    return {};
  }
}

Json answer_valid(const std::string& label, const sf::InnerList& params, const Verified& v) {
  Json covered = Json::array();
  for (const auto& id : params.items) covered.push_back(sf::serialize(id));
  Json out = verify_result(true, "signature " + label + " verified");
  out["label"] = label;
  out["alg"] = v.alg;
  out["covered"] = covered;
  if (const auto* keyid = sf::find_param(params.params, "keyid")) {
    if (const auto* s = std::get_if<std::string>(keyid)) out["keyid"] = *s;
  }
  out["created"] = *int_param(params.params, "created");
  if (const auto e = int_param(params.params, "expires")) out["expires"] = *e;
  out["signature_base"] = v.base;
  return out;
}

Policy policy_of(const Json& input, std::int64_t now, const PeerKey& peer) {
  Policy p;
  p.now = now;
  for (const auto& [field, target] : {std::pair{"clock_skew", &p.clock_skew}}) {
    if (const auto it = input.find(field); it != input.end() && !it->is_null()) {
      if (!it->is_number_integer() || it->get<std::int64_t>() < 0) {
        throw_bad_request(field, "must be a non-negative integer (seconds)");
      }
      *target = it->get<std::int64_t>();
    }
  }
  if (const auto it = input.find("max_age"); it != input.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<std::int64_t>() < 0) {
      throw_bad_request("max_age", "must be a non-negative integer (seconds)");
    }
    p.max_age = it->get<std::int64_t>();
  }
  p.pinned_alg = optional_string(input, "alg");
  if (p.pinned_alg && !httpsig_sign_request(*p.pinned_alg)) {
    throw_unprocessable("alg",
                        "'" + *p.pinned_alg + "' is not an RFC 9421 algorithm verified here");
  }
  const auto type = key_type_of(peer.get());
  if (!type) throw_unprocessable("peer", "the peer key is not RSA, EC P-256, EC P-384 or Ed25519");
  p.key_type = *type;
  return p;
}

}  // namespace

Json HttpsigScheme::verify(const Json& input, const PeerKey& peer) const {
  require_object_input(input);
  require_field(input, "headers");
  const HttpMessage msg = message_from_json(input, "");
  std::optional<HttpMessage> request;
  if (const auto it = input.find("request"); it != input.end() && !it->is_null()) {
    request = message_from_json(*it, "request.");
  }
  const auto label = optional_string(input, "label");
  const FieldTypes types = field_types_from_json(input);
  const Policy policy = policy_of(
      input, std::chrono::duration_cast<std::chrono::seconds>(clock_().time_since_epoch()).count(),
      peer);
  std::string why;
  const sf::Dictionary inputs = parse_signature_field(msg, "Signature-Input", &why);
  const sf::Dictionary signatures =
      why.empty() ? parse_signature_field(msg, "Signature", &why) : sf::Dictionary{};
  if (!why.empty()) return verify_result(false, why);
  const BaseContext ctx{msg, request ? &*request : nullptr, &types};
  std::string reasons;
  for (const auto& [name, member] : inputs) {
    if (label && name != *label) continue;
    auto result =
        verify_one(member, sf::find_member(signatures, name), ctx, has_body(input), peer, policy);
    if (const auto* ok = std::get_if<Verified>(&result)) {
      return answer_valid(name, std::get<sf::InnerList>(member), *ok);
    }
    reasons += (reasons.empty() ? "" : "; ") + name + ": " + std::get<std::string>(result);
  }
  if (reasons.empty()) reasons = "Signature-Input has no signature labelled " + label.value_or("");
  return verify_result(false, reasons);
}

}  // namespace p11signd::schemes
