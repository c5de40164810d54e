// Amazon Pay verification and the checkout button signature, apart from the request signing in
// amazonpay.cc.
#include <algorithm>
#include <sstream>

#include "common/encoding.h"
#include "schemes/amazonpay.h"
#include "schemes/ascii.h"
#include "schemes/json_input.h"
#include "schemes/peer_key.h"

namespace p11signd::schemes {
namespace {

struct Authorization {
  std::string algorithm;
  std::string key_id;
  std::vector<std::string> signed_headers;
  std::string signature;
};

// "ALG PublicKeyId=..., SignedHeaders=a;b, Signature=..."
std::optional<Authorization> parse_authorization(std::string_view text) {
  Authorization a;
  const auto space = text.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  a.algorithm = std::string(text.substr(0, space));
  std::string_view rest = text.substr(space + 1);
  while (!rest.empty()) {
    const auto comma = rest.find(", ");
    const auto part = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 2);
    const auto eq = part.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    const auto key = part.substr(0, eq);
    const std::string value(part.substr(eq + 1));
    if (key == "PublicKeyId") a.key_id = value;
    if (key == "Signature") a.signature = value;
    if (key == "SignedHeaders") {
      std::istringstream ss(value);
      for (std::string h; std::getline(ss, h, ';');) a.signed_headers.push_back(h);
    }
  }
  if (a.signature.empty() || a.signed_headers.empty()) return std::nullopt;
  return a;
}

// sign() always signs these; a signature over fewer says nothing about when, where or for which
// region the request was made, however the unsigned copies of those headers read.
std::optional<std::string> missing_required_header(const std::vector<std::string>& signed_headers) {
  for (const std::string_view required : {"x-amz-pay-date", "x-amz-pay-host", "x-amz-pay-region"}) {
    if (std::find(signed_headers.begin(), signed_headers.end(), required) == signed_headers.end())
      return std::string(required);
  }
  return std::nullopt;
}

std::string payload_text(const Json& input, std::string_view field) {
  const Json& p = require_field(input, field);
  if (p.is_string()) return p.get<std::string>();
  if (p.is_object()) return p.dump();
  throw_bad_request(field, "must be a string or a JSON object");
}

Json verify_button(const Json& input, const PeerKey& peer) {
  const std::string alg = optional_string(input, "algorithm").value_or(std::string(kAmazonPayV2));
  const auto req = amazonpay_sign_request(alg);
  if (!req) throw_unprocessable("algorithm", "is not an Amazon Pay algorithm");
  const auto sig = base64_decode(require_string(input, "signature"));
  if (!sig) return verify_result(false, "signature is not valid base64");
  const bool ok = peer.verify(
      *req, as_bytes(amazonpay_string_to_sign(alg, payload_text(input, "payload"))), *sig);
  return verify_result(ok, ok ? "signature matches" : "signature does not match the payload");
}

}  // namespace

Json AmazonPayScheme::verify(const Json& input, const PeerKey& peer) const {
  require_object_input(input);
  if (input.contains("payload") && !input.contains("method")) return verify_button(input, peer);
  const std::string method = require_string(input, "method");
  const auto url = amazonpay_split_url(require_string(input, "url"));
  const auto uri = url ? amazonpay_canonical_uri(url->path) : std::nullopt;
  if (!uri) throw_bad_request("url", "has a broken %-escape");
  std::map<std::string, std::string> given;
  for (const auto& [k, v] : require_object(input, "headers").items()) {
    if (!v.is_string()) throw_bad_request("headers." + k, "must be a string");
    given[ascii_lower(k)] = v.get<std::string>();
  }
  if (!given.contains("authorization")) throw_missing("headers.authorization", "is required");
  const auto auth = parse_authorization(given["authorization"]);
  if (!auth) return verify_result(false, "authorization header is malformed");
  const auto req = amazonpay_sign_request(auth->algorithm);
  if (!req) return verify_result(false, "algorithm " + auth->algorithm + " is not accepted");
  if (const auto missing = missing_required_header(auth->signed_headers)) {
    return verify_result(false, "SignedHeaders does not include " + *missing);
  }
  CanonicalHeaders signed_headers;
  for (const auto& h : auth->signed_headers) {
    if (!given.contains(h)) return verify_result(false, "signed header " + h + " is missing");
    signed_headers[h] = given[h];
  }
  const std::string body = amazonpay_body_text(input);
  const std::string to_sign = amazonpay_string_to_sign(
      auth->algorithm, amazonpay_canonical_request(method, *uri, url->query, signed_headers, body));
  const auto sig = base64_decode(auth->signature);
  if (!sig) return verify_result(false, "Signature is not valid base64");
  const bool ok = peer.verify(*req, as_bytes(to_sign), *sig);
  return verify_result(ok, ok ? "signature matches" : "signature does not match the request");
}

Json AmazonPayScheme::run_action(std::string_view action, const Json& input,
                                 const KeySettings& settings, const SigningKey& sign) const {
  if (action != "button-signature") return Scheme::run_action(action, input, settings, sign);
  require_object_input(input);
  const std::string payload = payload_text(input, "payload");
  const std::string alg = optional_string(input, "algorithm")
                              .value_or(optional_setting(settings, "amazonpay.algorithm")
                                            .value_or(std::string(kAmazonPayV2)));
  const auto req = amazonpay_sign_request(alg);
  if (!req) throw_unprocessable("algorithm", "is not an Amazon Pay algorithm");
  const Bytes sig = sign(*req, as_bytes(amazonpay_string_to_sign(alg, payload)));
  return Json{{"signature", base64_encode(sig)}, {"payload", payload}, {"algorithm", alg}};
}

}  // namespace p11signd::schemes
