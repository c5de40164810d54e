// GET /v1/schemes and POST /v1/schemes/SCHEME/OP: access rules, worker and audit around a
// SchemeRoutes.
#include "daemon/routes_schemes.h"

#include "common/digest.h"
#include "daemon/api.h"
#include "daemon/audited_sign.h"

namespace p11signd::daemon {
namespace {

nlohmann::ordered_json parse_ordered_object(const std::string& body) {
  require_json_depth(body);
  // Ordered: a scheme such as mypos signs fields in the order the application wrote them.
  auto json = nlohmann::ordered_json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    throw ApiError(http::status::bad_request, "invalid_json",
                   "the request body must be a JSON object");
  }
  return json;
}

std::string string_field(const nlohmann::ordered_json& body, const std::string& field) {
  auto it = body.find(field);
  if (it == body.end() || !it->is_string()) {
    throw ApiError(http::status::bad_request, "missing_field",
                   "field '" + field + "' (a string) is required");
  }
  return it->get<std::string>();
}

}  // namespace

void Api::list_schemes(Call& call) {
  call.reply(json_response(http::status::ok, {{"schemes", schemes_->list()}}));
}

void Api::scheme_op(Call& call) {
  const std::string& scheme = call.route.scheme;
  const std::string& op = call.route.op;
  if (scheme == "raw" && op == "sign") {
    // The daemon's own scheme: the same as /v1/keys/NAME/sign with the key in the body.
    const auto body = parse_json_object(call.req.body());
    return sign(call, require_string(body, "key"), body);
  }
  if (!schemes_->knows(scheme)) {
    throw ApiError(http::status::not_found, "scheme_not_found", "no scheme named '" + scheme + "'");
  }
  const auto input = parse_ordered_object(call.req.body());
  if (op == "verify") return scheme_verify(call, input);
  if (!schemes_->signs_with(scheme, op)) {
    throw ApiError(http::status::not_found, "not_found",
                   "scheme '" + scheme + "' has no operation '" + op + "'");
  }
  scheme_sign(call, input);
}

// Verification needs public keys only: a [peer.NAME] of this scheme, or one of our keys (jws,
// raw). Exactly one of the two.
void Api::scheme_verify(Call& call, const nlohmann::ordered_json& input) {
  const std::string& scheme = call.route.scheme;
  const bool has_peer = input.contains("peer");
  const bool has_key = input.contains("key");
  if (has_peer == has_key) {
    throw ApiError(http::status::bad_request, has_peer ? "bad_field" : "missing_field",
                   std::string(has_peer ? "give either" : "verify needs") +
                       " 'peer' (a [peer.NAME] section of scheme '" + scheme +
                       "') or 'key' (one of the daemon's keys)" + (has_peer ? ", not both" : ""));
  }
  std::optional<Bytes> spki;
  std::string peer;
  std::string key;
  if (has_peer) {
    peer = string_field(input, "peer");
  } else {
    key = string_field(input, "key");
    // With one of our keys, raw is /v1/keys/NAME/verify: the same answer and audit record.
    if (scheme == "raw") return verify(call, key, parse_json_object(call.req.body()));
    require_key_access(call, key, scheme);
    const KeyInfo* info = call.policy->key(key);
    if (!info) throw ApiError(http::status::not_found, "key_not_found", "no key '" + key + "'");
    spki = info->spki_der;
  }
  auto out = schemes_->verify(scheme, input, peer, spki);
  AuditRecord rec;
  rec.op = "verify";
  rec.peer = &call.peer;
  rec.key = peer.empty() ? key : "peer:" + peer;
  rec.scheme = scheme;
  rec.data_sha256 = sha256_hex(as_bytes(call.req.body()));
  rec.result = out.value("valid", false) ? "valid" : "invalid";
  s_.audit.write(rec);
  call.reply(json_response(http::status::ok, out));
}

// Signing (and a scheme's own actions) run on a worker; every signature the scheme asks for is
// audited.
void Api::scheme_sign(Call& call, const nlohmann::ordered_json& input) {
  const std::string& scheme = call.route.scheme;
  const std::string key = string_field(input, "key");
  require_key_access(call, key, scheme);
  const KeyRef admitted = admitted_key(call, key);
  const auto& keys = call.policy->config().keys;
  const auto it = keys.find(key);
  auto settings = it == keys.end() ? std::map<std::string, std::string>{} : it->second.settings;
  const SignAttempt attempt;
  run_on_pool(
      attempt.audited_reply(s_.audit, call.peer, key, scheme, call.reply),
      [s = s_, routes = schemes_.get(), peer = call.peer, key, scheme, op = call.route.op, input,
       settings = std::move(settings), fingerprint = admitted.fingerprint_sha256,
       claim = attempt.claim()](SigningSession& session) {
        const SignContext ctx{s.audit, s.metrics, session,     peer,
                              key,     scheme,    claim.get(), fingerprint};
        auto out = routes->run(
            scheme, op, input, settings,
            [&](const SignRequest& req, ByteView data) { return audited_sign(ctx, req, data); });
        return json_response(http::status::ok, out);
      },
      {}, attempt.claim(), call.direct);
}

}  // namespace p11signd::daemon
