// The "raw" scheme with one of our keys: POST /v1/keys/NAME/sign and /verify, and
// /v1/schemes/raw/sign and /verify with "key" (with "peer", raw verify goes through the registry).
#include "common/digest.h"
#include "common/encoding.h"
#include "daemon/observability/audited_sign.h"
#include "daemon/routes/active_version.h"
#include "daemon/routes/api.h"
#include "daemon/routes/public_key.h"
#include "daemon/routes/version_view.h"

namespace p11signd::daemon {
namespace {

ApiError invalid(const std::string& message) {
  return {http::status::unprocessable_entity, "invalid_request", message};
}

// "salt_len" for PSS: 32 or 20 with SHA-256, 64 with SHA-512 (the hash length is the default).
unsigned parse_salt_len(const nlohmann::json& body, SignAlg alg) {
  if (!body.contains("salt_len")) return 0;
  const auto& salt = body["salt_len"];
  if (alg == SignAlg::kRsaPssSha512) {
    if (!salt.is_number_unsigned() || salt != 64)
      throw invalid("salt_len must be 64 for RSA-PSS-SHA512");
  } else if (!salt.is_number_unsigned() || (salt != 32 && salt != 20)) {
    throw invalid("salt_len must be 32 or 20");
  }
  return salt.get<unsigned>();
}

// "format" of an ECDSA signature: "der" (the default, as the raw scheme has it: what OpenSSL, X.509
// and most verifiers read, and what KMS and Vault return) or "raw" (r||s, what JWS and RFC 9421
// send).
EcdsaEncoding parse_format(const nlohmann::json& body, SignAlg alg) {
  if (!body.contains("format")) return EcdsaEncoding::kDer;
  if (!is_ecdsa(alg))
    throw invalid("format is for ECDSA signatures only, not " + std::string(to_string(alg)));
  const std::string format = require_string(body, "format");
  if (format == "raw") return EcdsaEncoding::kRaw;
  if (format == "der") return EcdsaEncoding::kDer;
  throw invalid("format must be raw or der, not '" + format + "'");
}

// The request a body asks of key: alg (the key's default when absent), salt_len, format. An
// algorithm the key's type cannot make is refused here, naming both.
SignRequest parse_request(const nlohmann::json& body, const KeyInfo& key) {
  SignRequest req;
  req.alg = default_sign_alg(key.type);
  if (body.contains("alg")) {
    const std::string alg = require_string(body, "alg");
    auto parsed = parse_sign_alg(alg);
    if (!parsed) {
      throw invalid(
          "alg must be RSA-SHA256, RSA-PSS-SHA256, RSA-PSS-SHA512, ECDSA-SHA256, ECDSA-SHA384 or "
          "Ed25519, not '" +
          alg + "'");
    }
    req.alg = *parsed;
  }
  if (!key_can_sign(key.type, req.alg)) {
    throw invalid("key '" + key.name + "' is an " + std::string(to_string(key.type)) +
                  " key and cannot make " + std::string(to_string(req.alg)) + " signatures");
  }
  req.salt_len = parse_salt_len(body, req.alg);
  req.ecdsa_encoding = parse_format(body, req.alg);
  return req;
}

const KeyInfo& known_key(const Policy& policy, const std::string& key) {
  const KeyInfo* info = policy.key(key);
  if (!info) throw ApiError(http::status::not_found, "key_not_found", "no key named '" + key + "'");
  return *info;
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
  reject_unknown_fields(body, raw_fields(call.route, {"data", "alg", "salt_len", "format"}));
  const SignRequest req = parse_request(body, known_key(*call.policy, key));
  Bytes data = parse_base64(body, "data");
  const SignAttempt attempt;
  run_on_pool(
      attempt.audited_reply(s_.audit, call.peer, key, "raw", call.reply),
      [s = s_, peer = call.peer, key, fingerprint = admitted.fingerprint_sha256, req,
       data = std::move(data), claim = attempt.claim()](SigningSession& session) {
        return with_active_version(s.store, key, fingerprint, [&](const KeyInfo& active) {
          const Bytes sig = audited_sign({s.audit, s.metrics, session, peer, key, "raw",
                                          claim.get(), active.fingerprint_sha256, active.version},
                                         req, data);
          nlohmann::ordered_json answer = {{"signature", base64_encode(sig)},
                                           {"key", key},
                                           {"key_version", active.version},
                                           {"alg", std::string(to_string(req.alg))}};
          if (is_ecdsa(req.alg)) {
            answer["format"] = req.ecdsa_encoding == EcdsaEncoding::kDer ? "der" : "raw";
          }
          return json_response(http::status::ok, answer);
        });
      },
      {}, attempt.claim(), call.direct);
}

// Verification needs only the public key, so it runs here on the event loop without the token.
void Api::verify(Call& call, const std::string& key, const nlohmann::json& body) {
  require_key_access(call, key, "raw");
  reject_unknown_fields(body,
                        raw_fields(call.route, {"data", "signature", "alg", "salt_len", "format"}));
  const KeyInfo* info = &known_key(*call.policy, key);
  const SignRequest req = parse_request(body, *info);
  const Bytes data = parse_base64(body, "data");
  const Bytes signature = parse_base64(body, "signature");
  const auto start = std::chrono::steady_clock::now();
  // The signature carries no kid: every published version is tried, the active one first.
  std::optional<unsigned> matched;
  for (const auto& version : verification_order(s_.store.versions(key))) {
    if (key_can_sign(version.type, req.alg) &&
        verify_signature(version.spki_der, req, data, signature)) {
      matched = version.version;
      break;
    }
  }
  const bool valid = matched.has_value();
  AuditRecord rec;
  rec.op = "verify";
  rec.peer = &call.peer;
  rec.key = key;
  rec.key_version = matched;
  rec.scheme = "raw";
  rec.alg = std::string(to_string(req.alg));
  rec.data_sha256 = sha256_hex(data);
  rec.result = valid ? "valid" : "invalid";
  rec.latency = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - start);
  s_.audit.write(rec);
  // The reason as the raw scheme gives it for a [peer.NAME] (schemes/raw.cc).
  nlohmann::ordered_json answer = {
      {"valid", valid},
      {"reason", valid ? "signature matches" : "signature does not match the data and key"}};
  if (matched) answer["key_version"] = *matched;
  call.reply(json_response(http::status::ok, answer));
}

}  // namespace p11signd::daemon
