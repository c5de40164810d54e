#include "schemes/jws.h"

#include <algorithm>

#include "common/encoding.h"
#include "common/public_key.h"
#include "schemes/json_input.h"
#include "schemes/peer_key.h"

namespace p11signd::schemes {
namespace {

Json build_header(const Json& input, std::string_view alg, const KeySettings& settings) {
  Json header{{"alg", std::string(alg)}};
  const auto extra_it = input.find("header");
  const bool has_extra = extra_it != input.end() && !extra_it->is_null();
  if (has_extra && !extra_it->is_object()) throw_bad_request("header", "must be a JSON object");
  const auto kid = optional_setting(settings, "jws.kid");
  if (kid && !(has_extra && extra_it->contains("kid"))) header["kid"] = *kid;
  if (!has_extra) return header;
  for (const auto& [k, v] : extra_it->items()) {
    if (k == "alg") {
      if (!v.is_string() || v.get<std::string>() != alg)
        throw_unprocessable("header.alg", "differs from alg; set alg only once");
      continue;
    }
    if (k == "b64")
      throw_unprocessable("header.b64", "unencoded payloads (RFC 7797) are not offered");
    header[k] = v;
  }
  return header;
}

Bytes payload_bytes(const Json& input) {
  const bool has_payload = input.contains("payload");
  const bool has_b64 = input.contains("payload_b64");
  if (!has_payload && !has_b64)
    throw_missing("payload", "give exactly one of payload and payload_b64");
  if (has_payload && has_b64)
    throw_bad_request("payload", "give exactly one of payload and payload_b64");
  if (has_payload) {
    const Json& p = input["payload"];
    if (!p.is_object())
      throw_bad_request("payload", "must be a JSON object (use payload_b64 for other bytes)");
    const std::string text = p.dump();
    return Bytes(text.begin(), text.end());
  }
  auto decoded = base64url_decode(require_string(input, "payload_b64"));
  if (!decoded) throw_bad_request("payload_b64", "is not valid base64url");
  return *decoded;
}

std::optional<Bytes> decode_segment(std::string_view s) {
  if (s.find('=') != std::string_view::npos) return std::nullopt;  // JWS forbids padding
  return base64url_decode(s);
}

std::string names_of(const Json& crit) {
  if (!crit.is_array()) return crit.dump();
  std::string out;
  for (const auto& name : crit) {
    if (!out.empty()) out += ", ";
    out += name.is_string() ? name.get<std::string>() : name.dump();
  }
  return out;
}

// This verifier understands no extension (RFC 7515 4.1.11: a crit it does not understand makes the
// JWS invalid), and b64:false (RFC 7797) would change what the signature covers.
std::optional<std::string> unsupported_extension(const Json& header) {
  if (const auto crit = header.find("crit"); crit != header.end()) {
    return "crit names an extension this verifier does not support: " + names_of(*crit);
  }
  if (header.contains("b64")) return "header b64 (RFC 7797 unencoded payload) is not supported";
  return std::nullopt;
}

// "RS256 or PS256", "ES256".
std::string or_list(const std::vector<std::string_view>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " or " : ", ";
    out += names[i];
  }
  return out;
}

// "the key is EC P-256, which makes ES256 only": what a refusal tells the caller to ask for
// instead.
std::string what_the_key_makes(KeyType type) {
  const auto algs = jws_algs_for(type);
  return "the key is " + std::string(to_string(type)) + ", which makes " + or_list(algs) +
         (algs.size() == 1 ? " only" : "");
}

// The header's (or request's) alg, refused unless it is one of jws_algs() and the key makes it.
SignRequest require_alg_for_key(std::string_view alg, KeyType type) {
  const auto req = jws_sign_request(alg);
  if (!req) throw_unprocessable("alg", "must be " + or_list(jws_algs()));
  if (!key_can_sign(type, req->alg)) {
    throw_unprocessable(
        "alg", "'" + std::string(alg) + "' is not for this key: " + what_the_key_makes(type));
  }
  return *req;
}

// Why a signature of this shape cannot be a JWS ECDSA signature, which is r||s with each half
// as long as the curve's order (RFC 7518 3.4); nullopt when the length is right.
std::optional<std::string> wrong_ecdsa_length(std::string_view alg, KeyType type,
                                              std::size_t length) {
  const std::size_t expected = 2 * ecdsa_half_len(type);
  if (length == expected) return std::nullopt;
  return "an " + std::string(alg) + " signature is " + std::to_string(expected) +
         " bytes (r||s, RFC 7518 3.4), this one is " + std::to_string(length) +
         " (a DER-encoded ECDSA signature is not a JWS signature)";
}

}  // namespace

const std::vector<std::string_view>& jws_algs() {
  static const std::vector<std::string_view> algs = {"RS256", "PS256", "ES256", "ES384", "EdDSA"};
  return algs;
}

std::vector<std::string_view> jws_algs_for(KeyType type) {
  std::vector<std::string_view> out;
  for (const auto alg : jws_algs()) {
    if (key_can_sign(type, jws_sign_request(alg)->alg)) out.push_back(alg);
  }
  return out;
}

std::optional<SignRequest> jws_sign_request(std::string_view alg) {
  if (alg == "RS256") return SignRequest{SignAlg::kRsaPkcs1Sha256, 0};
  if (alg == "PS256") return SignRequest{SignAlg::kRsaPssSha256, 32};
  if (alg == "ES256") return SignRequest{SignAlg::kEcdsaSha256, 0, EcdsaEncoding::kRaw};
  if (alg == "ES384") return SignRequest{SignAlg::kEcdsaSha384, 0, EcdsaEncoding::kRaw};
  if (alg == "EdDSA") return SignRequest{SignAlg::kEd25519, 0};
  return std::nullopt;
}

std::string jws_signing_input(const Json& header, ByteView payload) {
  return base64url_encode(as_bytes(header.dump())) + "." + base64url_encode(payload);
}

std::string jws_sign_compact(const Json& header, ByteView payload, const SigningKey& sign) {
  const SignRequest req = require_alg_for_key(header.at("alg").get<std::string>(), sign.type());
  const std::string input = jws_signing_input(header, payload);
  return input + "." + base64url_encode(sign(req, as_bytes(input)));
}

std::optional<JwsParts> jws_parse(std::string_view compact, std::string* reason) {
  const auto dot1 = compact.find('.');
  const auto dot2 = dot1 == std::string_view::npos ? dot1 : compact.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || compact.find('.', dot2 + 1) != std::string_view::npos) {
    *reason = "not a compact JWS (three dot-separated parts)";
    return std::nullopt;
  }
  const auto header = decode_segment(compact.substr(0, dot1));
  auto payload = decode_segment(compact.substr(dot1 + 1, dot2 - dot1 - 1));
  auto signature = decode_segment(compact.substr(dot2 + 1));
  if (!header || !payload || !signature) {
    *reason = "a part is not unpadded base64url";
    return std::nullopt;
  }
  std::string why;
  auto h = parse_bounded(as_chars(*header), &why);
  if (!h || !h->is_object()) {
    *reason = h ? "the header is not a JSON object" : "the header " + why;
    return std::nullopt;
  }
  return JwsParts{std::string(compact.substr(0, dot2)), std::move(*h), std::move(*payload),
                  std::move(*signature)};
}

Json jws_verify(const JwsParts& parts, const PeerKey& peer,
                const std::vector<std::string_view>& allowed) {
  const auto alg_it = parts.header.find("alg");
  const std::string alg =
      alg_it != parts.header.end() && alg_it->is_string() ? alg_it->get<std::string>() : "";
  const auto req = jws_sign_request(alg);
  if (!req || std::find(allowed.begin(), allowed.end(), alg) == allowed.end()) {
    return verify_result(false, "header alg '" + alg + "' is not accepted");
  }
  if (const auto reason = unsupported_extension(parts.header)) return verify_result(false, *reason);
  // The key decides the algorithm family: a header cannot make an EC key's signature be read as
  // RSA or the reverse.
  if (!key_can_sign(peer.type(), req->alg)) {
    return verify_result(
        false, "header alg '" + alg + "' does not fit the key: " + what_the_key_makes(peer.type()));
  }
  if (is_ecdsa(req->alg)) {
    if (auto wrong = wrong_ecdsa_length(alg, peer.type(), parts.signature.size())) {
      return verify_result(false, *wrong);
    }
  }
  const bool ok = peer.verify(*req, as_bytes(parts.signing_input), parts.signature);
  return verify_result(ok,
                       ok ? "signature matches" : "signature does not match header and payload");
}

std::vector<KeyType> JwsScheme::key_types() const {
  return {std::begin(kAllKeyTypes), std::end(kAllKeyTypes)};
}

Json JwsScheme::describe() const {
  Json by_type = Json::object();
  for (const KeyType type : kAllKeyTypes) {
    Json algs = Json::array();
    for (const auto alg : jws_algs_for(type)) algs.push_back(std::string(alg));
    by_type[std::string(to_string(type))] = algs;
  }
  Json algorithms = Json::array();
  for (const auto alg : jws_algs()) algorithms.push_back(std::string(alg));
  return Json{{"name", name()},
              {"description",
               "compact JWS (RFC 7515): RS256 or PS256 with an RSA key, ES256 with EC P-256, ES384 "
               "with EC P-384, EdDSA with Ed25519; alg defaults to the first its key makes"},
              {"sign",
               {{"required", {"payload"}},
                {"optional", {"alg", "header"}},
                {"alternatives", {{"payload", "payload_b64"}}}}},
              {"verify", {{"required", {"jws"}}, {"optional", {"alg"}}}},
              {"settings", known_settings()},
              {"algorithms", algorithms},
              {"algorithms_by_key_type", by_type}};
}

Json JwsScheme::sign(const Json& input, const KeySettings& settings, const SigningKey& sign) const {
  require_object_input(input);
  const auto asked = optional_string(input, "alg");
  const std::string alg = asked ? *asked : std::string(jws_algs_for(sign.type()).front());
  require_alg_for_key(alg, sign.type());
  const Json header = build_header(input, alg, settings);
  return Json{{"jws", jws_sign_compact(header, payload_bytes(input), sign)}};
}

Json JwsScheme::verify(const Json& input, const PeerKey& peer) const {
  require_object_input(input);
  const std::string compact = require_string(input, "jws");
  const auto pinned = optional_string(input, "alg");
  if (pinned && !jws_sign_request(*pinned))
    throw_unprocessable("alg", "must be " + or_list(jws_algs()));
  std::string reason;
  const auto parts = jws_parse(compact, &reason);
  if (!parts) return verify_result(false, reason);
  Json result = pinned ? jws_verify(*parts, peer, {*pinned}) : jws_verify(*parts, peer, jws_algs());
  if (!result["valid"].get<bool>()) return result;
  result["header"] = parts->header;
  // A payload that is not JSON, or nests deeper or wider than a request may, is given back as it
  // was signed, unparsed.
  std::string why;
  if (auto payload = parse_bounded(as_chars(parts->payload), &why)) {
    result["payload"] = std::move(*payload);
  } else {
    result["payload_b64"] = base64url_encode(parts->payload);
  }
  return result;
}

}  // namespace p11signd::schemes
