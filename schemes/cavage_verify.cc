// CavageScheme::verify: a bank's signed answer (or any draft-cavage-12 message) as received.
#include <algorithm>

#include "common/encoding.h"
#include "schemes/ascii.h"
#include "schemes/cavage.h"
#include "schemes/json_input.h"
#include "schemes/peer_key.h"

namespace p11signd::schemes {
namespace {

constexpr SignRequest kRsaSha256{SignAlg::kRsaPkcs1Sha256, 0};

// The Signature header, or an Authorization header of the Signature scheme.
const HeaderField& signature_header(const std::vector<HeaderField>& headers) {
  if (const auto* h = find_header(headers, "signature")) return *h;
  const auto* auth = find_header(headers, "authorization");
  if (auth != nullptr && ascii_lower(auth->value.substr(0, 10)) == "signature ") return *auth;
  throw_missing("headers.Signature", "is required (or an Authorization: Signature header)");
}

Json answer(bool valid, const std::string& reason, const CavageParams* p) {
  Json out = verify_result(valid, reason);
  if (p != nullptr) {
    out["key_id"] = p->key_id;
    out["covered_headers"] = p->headers;
  }
  return out;
}

CavageMessage read_message(const Json& input, const CavageParams& p,
                           const std::vector<HeaderField>& headers) {
  CavageMessage m{"", "", &headers};
  const bool target =
      std::find(p.headers.begin(), p.headers.end(), "(request-target)") != p.headers.end();
  if (target || input.contains("method") || input.contains("url")) {
    m.method = require_string(input, "method");
    m.target = url_request_target(require_string(input, "url"));
  }
  return m;
}

}  // namespace

Json CavageScheme::verify(const Json& input, const PeerKey& peer) const {
  require_object_input(input);
  const std::vector<HeaderField> headers =
      read_header_fields(require_field(input, "headers"), "headers");
  const Bytes body = read_body(input);
  const HeaderField& sig = signature_header(headers);
  std::string why;
  const auto params = parse_cavage_signature(sig.value, &why);
  if (!params) return answer(false, sig.name + " header: " + why, nullptr);
  if (params->algorithm && ascii_lower(*params->algorithm) != "rsa-sha256") {
    return answer(false, "algorithm " + *params->algorithm + " is not rsa-sha256", &*params);
  }
  const bool digest_signed =
      std::find(params->headers.begin(), params->headers.end(), "digest") != params->headers.end();
  if (!body.empty() && !digest_signed) {
    return answer(false, "the signature does not cover the body (no digest in headers)", &*params);
  }
  if (const auto* digest = find_header(headers, "digest")) {
    if (!digest_matches(digest->value, body, &why)) return answer(false, why, &*params);
  }
  const auto text =
      cavage_signing_string(params->headers, read_message(input, *params, headers), &why);
  if (!text) return answer(false, why, &*params);
  const auto signature = base64_decode(params->signature);
  if (!signature) return answer(false, "signature is not valid base64", &*params);
  const bool ok = peer.verify(kRsaSha256, as_bytes(*text), *signature);
  Json out = answer(ok, ok ? "signature matches" : "signature does not match the signed headers",
                    &*params);
  out["signing_string"] = *text;
  return out;
}

}  // namespace p11signd::schemes
