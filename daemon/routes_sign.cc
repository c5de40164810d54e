// The "raw" scheme with one of our keys: POST /v1/keys/NAME/sign and /verify, and
// /v1/schemes/raw/sign and /verify with "key" (with "peer", raw verify goes through the registry).
#include "common/digest.h"
#include "common/encoding.h"
#include "daemon/api.h"
#include "daemon/audited_sign.h"
#include "daemon/public_key.h"

namespace p11signd::daemon {
namespace {

ApiError invalid(const std::string& message) {
  return {http::status::unprocessable_entity, "invalid_request", message};
}

SignRequest parse_alg(const nlohmann::json& body) {
  const std::string alg = optional_string(body, "alg", "RSA-SHA256");
  auto parsed = parse_sign_alg(alg);
  if (!parsed) throw invalid("alg must be RSA-SHA256 or RSA-PSS-SHA256, not '" + alg + "'");
  SignRequest req;
  req.alg = *parsed;
  if (body.contains("salt_len")) {
    const auto& salt = body["salt_len"];
    if (!salt.is_number_unsigned() || (salt != 32 && salt != 20)) {
      throw invalid("salt_len must be 32 or 20");
    }
    req.salt_len = salt.get<unsigned>();
  }
  return req;
}

Bytes parse_base64(const nlohmann::json& body, const std::string& field) {
  auto bytes = base64_decode(require_string(body, field));
  if (!bytes) throw invalid("field '" + field + "' is not standard base64 with padding");
  return *bytes;
}

// The fields a raw sign or verify reads; through /v1/schemes/raw/... the body also names the key.
std::vector<std::string> raw_fields(const RouteMatch& route, std::vector<std::string> fields) {
  if (!route.scheme.empty()) fields.insert(fields.begin(), "key");
  return fields;
}

}  // namespace

void Api::sign(Call& call, const std::string& key, const nlohmann::json& body) {
  require_key_access(call, key, "raw");
  const KeyRef admitted = admitted_key(call, key);
  reject_unknown_fields(body, raw_fields(call.route, {"data", "alg", "salt_len"}));
  const SignRequest req = parse_alg(body);
  Bytes data = parse_base64(body, "data");
  const SignAttempt attempt;
  run_on_pool(
      attempt.audited_reply(s_.audit, call.peer, key, "raw", call.reply),
      [s = s_, peer = call.peer, key, fingerprint = admitted.fingerprint_sha256, req,
       data = std::move(data), claim = attempt.claim()](SigningSession& session) {
        const Bytes sig = audited_sign(
            {s.audit, s.metrics, session, peer, key, "raw", claim.get(), fingerprint}, req, data);
        return json_response(http::status::ok, {{"signature", base64_encode(sig)},
                                                {"key", key},
                                                {"alg", std::string(to_string(req.alg))}});
      },
      {}, attempt.claim(), call.direct);
}

// Verification needs only the public key, so it runs here on the event loop without the token.
void Api::verify(Call& call, const std::string& key, const nlohmann::json& body) {
  require_key_access(call, key, "raw");
  reject_unknown_fields(body, raw_fields(call.route, {"data", "signature", "alg", "salt_len"}));
  const SignRequest req = parse_alg(body);
  const Bytes data = parse_base64(body, "data");
  const Bytes signature = parse_base64(body, "signature");
  const KeyInfo* info = call.policy->key(key);
  if (!info) throw ApiError(http::status::not_found, "key_not_found", "no key named '" + key + "'");
  const auto start = std::chrono::steady_clock::now();
  const bool valid = verify_signature(info->spki_der, req, data, signature);
  AuditRecord rec;
  rec.op = "verify";
  rec.peer = &call.peer;
  rec.key = key;
  rec.scheme = "raw";
  rec.alg = std::string(to_string(req.alg));
  rec.data_sha256 = sha256_hex(data);
  rec.result = valid ? "valid" : "invalid";
  rec.latency = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - start);
  s_.audit.write(rec);
  // The reason as the raw scheme gives it for a [peer.NAME] (schemes/raw.cc).
  call.reply(json_response(
      http::status::ok,
      {{"valid", valid},
       {"reason", valid ? "signature matches" : "signature does not match the data and key"}}));
}

}  // namespace p11signd::daemon
