// GET routes about keys: the list, public keys, stored certificates; and /metrics.
#include "common/encoding.h"
#include "daemon/observability/key_version_gauges.h"
#include "daemon/routes/api.h"
#include "daemon/routes/public_key.h"

namespace p11signd::daemon {

void Api::list_keys(Call& call) {
  nlohmann::ordered_json keys = nlohmann::ordered_json::array();
  for (const auto& [name, info] : call.policy->keys()) {
    if (!call.policy->knows_key(info.name)) continue;
    // Admins see every key (they manage them); other peers the keys they may sign with.
    if (!call.policy->is_admin(call.peer) && call.policy->deny_key(call.peer, info.name, "")) {
      continue;
    }
    keys.push_back(key_json(info, call.policy->schemes_of(info.name)));
  }
  call.reply(json_response(http::status::ok, {{"keys", keys}}));
}

// Public keys and certificates are not secret, but the list of keys is: peers see those they may
// use, and admins every key (they upload certificates to providers).
static KeyInfo existing_key(const Policy& policy, const std::string& name) {
  const KeyInfo* info = policy.key(name);
  if (!info)
    throw ApiError(http::status::not_found, "key_not_found", "no key named '" + name + "'");
  return *info;
}

void Api::public_key(Call& call) {
  if (!call.policy->is_admin(call.peer)) require_key_access(call, call.route.key, "");
  const KeyInfo info = requested_version(call);
  auto it = call.route.query.find("format");
  const std::string format = it == call.route.query.end() ? "pem" : it->second;
  if (format == "pem") {
    call.reply(text_response(http::status::ok, spki_pem(info.spki_der), "application/x-pem-file"));
  } else if (format == "der-base64") {
    call.reply(json_response(http::status::ok, {{"key", info.name},
                                                {"format", "der-base64"},
                                                {"public_key", base64_encode(info.spki_der)}}));
  } else if (format == "jwk") {
    auto jwk = spki_jwk(info.spki_der);
    jwk["kid"] = info.fingerprint_sha256;
    call.reply(json_response(http::status::ok, jwk));
  } else {
    throw ApiError(http::status::bad_request, "bad_query",
                   "format must be pem, der-base64 or jwk, not '" + format + "'");
  }
}

void Api::get_certificate(Call& call) {
  if (!call.policy->is_admin(call.peer)) require_key_access(call, call.route.key, "");
  existing_key(*call.policy, call.route.key);
  KeyRef ref(call.route.key);
  if (call.route.query.count("version")) ref.version = requested_version(call).version;
  // Reading the certificate is a token operation: it goes through a worker like signing.
  run_on_pool(call.reply, [store = &s_.store, ref](SigningSession&) {
    auto pem = store->certificate_pem(ref);
    if (!pem) {
      throw ApiError(http::status::not_found, "certificate_not_found",
                     "no certificate is stored beside " +
                         (ref.version ? "version " + std::to_string(*ref.version) + " of " : "") +
                         "key '" + ref.name + "'");
    }
    return text_response(http::status::ok, *pem, "application/x-pem-file");
  });
}

void Api::metrics(Call& call) {
  const TokenStatus token = s_.store.status();
  Gauges g;
  g.queue_depth = s_.pool.queue_depth();
  g.sessions_busy = s_.pool.busy();
  g.workers = s_.pool.size();
  g.token_ok = token.ok;
  g.token_state = token.state;
  g.recoveries = token.recoveries;
  g.connections = s_.connections();
  g.audit_ok = s_.audit.healthy();
  // The certificates' expiry is read on the token, so on a worker; when none can take it (queue
  // full, token down, deadline) the rest is still answered, the states read from the store's
  // snapshot and no certificate times.
  const auto render = [this](Gauges gauges, bool read_certificates) {
    gauges.key_versions = key_version_gauges(s_.store, read_certificates);
    return text_response(http::status::ok, s_.metrics.render(gauges),
                         "text/plain; version=0.0.4; charset=utf-8");
  };
  run_on_pool(
      [render, g, reply = call.reply](Response res) {
        reply(res.result() == http::status::ok ? std::move(res) : render(g, false));
      },
      [render, g](SigningSession&) { return render(g, true); });
}

}  // namespace p11signd::daemon
