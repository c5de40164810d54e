// GET /v1/schemes and POST /v1/schemes/SCHEME/OP: access rules, worker and audit around a
// SchemeRoutes.
#include "daemon/routes/routes_schemes.h"

#include "common/digest.h"
#include "daemon/observability/audited_sign.h"
#include "daemon/routes/active_version.h"
#include "daemon/routes/api.h"
#include "daemon/routes/scheme_key_types.h"
#include "daemon/routes/version_view.h"

namespace p11signd::daemon {
namespace {

// A body scan_request_body() accepted: the parse cannot fail and builds nothing deeper or wider
// than the limits. Ordered - a scheme such as mypos signs fields in the order the application wrote
// them - and in linear time (common/json_bounds.h: nlohmann's own ordered parse is quadratic in an
// object's members).
nlohmann::ordered_json parse_ordered_object(const std::string& body) { return parse_ordered(body); }

// A top-level string member the scan read.
std::optional<std::string> scanned(const JsonScan& scan, std::string_view field) {
  const auto it = scan.strings.find(field);
  if (it == scan.strings.end()) return std::nullopt;
  return it->second;
}

std::string require_scanned(const JsonScan& scan, const std::string& field) {
  auto value = scanned(scan, field);
  if (!value) {
    throw ApiError(http::status::bad_request, "missing_field",
                   "field '" + field + "' (a string) is required");
  }
  return *value;
}

// A key of a type the scheme cannot use is refused before the scheme runs: most providers take
// RSA only. --check-config, start and reload refuse such a configuration already; this is for a
// key that reached the request all the same.
void require_key_type(const SchemeRoutes& schemes, const std::string& scheme,
                      const std::string& key, KeyType type) {
  if (auto refusal = key_type_refusal(schemes, scheme, key, type)) {
    throw ApiError(http::status::unprocessable_entity, "key_type_not_supported", *refusal);
  }
}

// Verification with one of our keys: each published version the scheme can verify with - the one
// the signature's kid names first, else the active one - until one accepts; the answer then names
// it. Otherwise the first version's answer.
SchemeRoutes::Json verify_by_versions(const SchemeRoutes& schemes, const std::string& scheme,
                                      const SchemeRoutes::Json& input,
                                      const std::vector<KeyInfo>& versions,
                                      const schemes::KeySettings& configured,
                                      std::optional<unsigned>& matched) {
  std::optional<SchemeRoutes::Json> first;
  const auto types = schemes.key_types(scheme);
  const auto kid = signature_kid(scheme, input);
  for (const auto& v : verification_order(versions, kid, configured)) {
    if (std::find(types.begin(), types.end(), v.type) == types.end()) continue;
    auto out = schemes.verify(scheme, input, "", v.spki_der);
    if (out.value("valid", false)) {
      out["key_version"] = v.version;
      matched = v.version;
      return out;
    }
    if (!first) first = std::move(out);
  }
  if (first) return *first;
  return {{"valid", false},
          {"reason",
           "no published version of the key is of a type scheme '" + scheme + "' verifies with"}};
}

}  // namespace

// Any scheme: a peer allowed some key is told precisely, after the scan, why this one is refused.
void Api::require_some_key(const Call& call) const {
  const Policy& policy = *call.policy;
  for (const auto& [name, key] : policy.config().keys) {
    if (!policy.deny_key(call.peer, name, "")) return;
  }
  for (const auto& name : policy.runtime_keys()) {
    if (!policy.deny_key(call.peer, name, "")) return;
  }
  const std::string message = "peer uid " + std::to_string(call.peer.uid) + " may use no key";
  audit_denial(call, "", message);
  throw ApiError(http::status::forbidden, "forbidden", message);
}

void Api::list_schemes(Call& call) {
  call.reply(json_response(http::status::ok, {{"schemes", schemes_->list()}}));
}

// The access rules are decided before the body is parsed into a value: a peer with no key at all
// is refused without looking at the body, and the key (or peer) is read by a scan that
// builds nothing, so a peer that may not use the key costs one linear pass.
void Api::scheme_op(Call& call) {
  const std::string& scheme = call.route.scheme;
  const std::string& op = call.route.op;
  if (scheme == "raw" && op == "sign") {
    // The daemon's own scheme: the same as /v1/keys/NAME/sign with the key in the body.
    require_some_key(call);
    const auto key = require_scanned(scan_request_body(call.req.body(), {"key"}), "key");
    require_key_access(call, key, "raw");
    return sign(call, key, parse_json_object(call.req.body()));
  }
  if (!schemes_->knows(scheme)) {
    throw ApiError(http::status::not_found, "scheme_not_found", "no scheme named '" + scheme + "'");
  }
  if (op == "verify")
    return scheme_verify(call, scan_request_body(call.req.body(), {"key", "peer"}));
  if (!schemes_->signs_with(scheme, op)) {
    throw ApiError(http::status::not_found, "not_found",
                   "scheme '" + scheme + "' has no operation '" + op + "'");
  }
  // A peer with no key at all costs no scan of its body (a flood of the largest bodies
  // from a uid with no key at all is answered at the cost of reading them).
  require_some_key(call);
  scheme_sign(call, require_scanned(scan_request_body(call.req.body(), {"key"}), "key"));
}

// Verification needs public keys only: a [peer.NAME] of this scheme, or one of our keys (jws,
// raw). Exactly one of the two.
void Api::scheme_verify(Call& call, const JsonScan& scan) {
  const std::string& scheme = call.route.scheme;
  const auto given_peer = scanned(scan, "peer");
  const auto given_key = scanned(scan, "key");
  const bool has_peer = given_peer.has_value();
  if (has_peer == given_key.has_value()) {
    throw ApiError(http::status::bad_request, has_peer ? "bad_field" : "missing_field",
                   std::string(has_peer ? "give either" : "verify needs") +
                       " 'peer' (a [peer.NAME] section of scheme '" + scheme +
                       "') or 'key' (one of the daemon's keys)" + (has_peer ? ", not both" : ""));
  }
  const std::string peer = given_peer.value_or("");
  const std::string key = given_key.value_or("");
  if (!has_peer) {
    require_key_access(call, key, scheme);
    // With one of our keys, raw is /v1/keys/NAME/verify: the same answer and audit record.
    if (scheme == "raw") return verify(call, key, parse_json_object(call.req.body()));
    const KeyInfo* info = call.policy->key(key);
    if (!info) throw ApiError(http::status::not_found, "key_not_found", "no key '" + key + "'");
    require_key_type(*schemes_, scheme, key, info->type);
  }
  const auto input = parse_ordered_object(call.req.body());
  std::optional<unsigned> matched;
  auto out = has_peer ? schemes_->verify(scheme, input, peer, std::nullopt)
                      : verify_by_versions(*schemes_, scheme, input, s_.store.versions(key),
                                           configured_settings(call, key), matched);
  AuditRecord rec;
  rec.op = "verify";
  rec.peer = &call.peer;
  rec.key = peer.empty() ? key : "peer:" + peer;
  rec.key_version = matched;
  rec.scheme = scheme;
  rec.data_sha256 = sha256_hex(as_bytes(call.req.body()));
  rec.result = out.value("valid", false) ? "valid" : "invalid";
  s_.audit.write(rec);
  call.reply(json_response(http::status::ok, out));
}

// Signing (and a scheme's own actions) run on a worker; every signature the scheme asks for is
// audited.
// The body is parsed on the worker, after the access check: the event loop only scanned it.
void Api::scheme_sign(Call& call, const std::string& key) {
  const std::string& scheme = call.route.scheme;
  require_key_access(call, key, scheme);
  const KeyRef admitted = admitted_key(call, key);
  // The store read the key's type once, when it loaded the key.
  const KeyType type = call.policy->key(key)->type;
  require_key_type(*schemes_, scheme, key, type);
  auto settings = configured_settings(call, key);
  const SignAttempt attempt;
  run_on_pool(
      attempt.audited_reply(s_.audit, call.peer, key, scheme, call.reply),
      [s = s_, routes = schemes_.get(), peer = call.peer, key, scheme, op = call.route.op,
       body = std::move(call.req.body()), settings = std::move(settings),
       fingerprint = admitted.fingerprint_sha256,
       claim = attempt.claim()](SigningSession& session) {
        // The version is resolved before the scheme canonicalises: its string may name the
        // version's kid or provider key ID.
        return with_active_version(s.store, key, fingerprint, [&](const KeyInfo& active) {
          require_key_type(*routes, scheme, key, active.type);
          const SignContext ctx{s.audit,       s.metrics, session,     peer,
                                key,           scheme,    claim.get(), active.fingerprint_sha256,
                                active.version};
          auto out = routes->run(
              scheme, op, parse_ordered_object(body), signing_settings(active, settings),
              schemes::SigningKey([&](const SignRequest& req,
                                      ByteView data) { return audited_sign(ctx, req, data); },
                                  active.type));
          if (out.is_object()) out["key_version"] = active.version;
          return json_response(http::status::ok, out);
        });
      },
      {}, attempt.claim(), call.direct);
}

}  // namespace p11signd::daemon
