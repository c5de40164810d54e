// GET /v1/health: a real test signature on the token, at most one a second; concurrent callers
// share it.
#include "common/encoding.h"
#include "daemon/observability/audited_sign.h"
#include "daemon/observability/key_version_gauges.h"
#include "daemon/routes/api.h"
#include "daemon/routes/public_key.h"

namespace p11signd::daemon {
namespace {

constexpr auto kHealthInterval = std::chrono::seconds(1);
constexpr std::string_view kProbe = "p11signd health check";

std::string health_key(const Policy& policy, const KeyStore& store) {
  const auto& configured = policy.config().daemon.health_key;
  if (!configured.empty()) return configured;
  if (!policy.config().keys.empty()) return policy.config().keys.begin()->first;
  auto keys = store.keys();
  return keys.empty() ? std::string() : keys.front().name;
}

nlohmann::ordered_json token_json(const TokenStatus& t) {
  return {{"label", t.token_label}, {"state", t.state}};
}

}  // namespace

void Api::health(Call& call) {
  const auto now = std::chrono::steady_clock::now();
  if (health_cached_ && now - health_at_ < kHealthInterval) return call.reply(*health_cached_);
  health_waiters_.push_back(call.reply);
  if (health_waiters_.size() > 1) return;  // a check is running; its answer serves this caller too
  try {
    start_health_check(call);
  } catch (const std::exception& e) {
    // Every waiter gets this answer, the caller too, and the next check starts afresh: a waiter
    // left in the list would make every later probe wait for an answer that never comes.
    finish_health(error_response_for(e));
  }
}

void Api::start_health_check(Call& call) {
  const TokenStatus token = s_.store.status();
  if (!token.ok) {
    return finish_health(error_response(
        http::status::service_unavailable, "token_unavailable",
        "token '" + token.token_label + "' is " + token.state + ": " + token.reason));
  }
  const std::string key = health_key(*call.policy, s_.store);
  auto info = key.empty() ? std::nullopt : s_.store.key(key);
  if (!info) {
    return finish_health(
        json_response(http::status::ok, {{"status", "ok"},
                                         {"token", token_json(token)},
                                         {"test_signature", "skipped: no key is configured"}}));
  }
  const std::chrono::days warning_days(call.policy->config().daemon.certificate_warning_days);
  run_on_pool([this](Response r) { finish_health(std::move(r)); },
              [audit = &s_.audit, store = &s_.store, key, token, spki = info->spki_der,
               type = info->type, warning_days](SigningSession& session) {
                require_audit(*audit);
                const auto start = std::chrono::steady_clock::now();
                SignRequest req;
                req.alg = default_sign_alg(type);  // the health key may be of any type
                const Bytes sig = session.sign(key, req, as_bytes(kProbe));
                const auto took = std::chrono::steady_clock::now() - start;
                if (!verify_signature(spki, req, as_bytes(kProbe), sig)) {
                  throw ApiError(http::status::service_unavailable, "token_unavailable",
                                 "the test signature with key '" + key + "' does not verify");
                }
                const double ms = std::chrono::duration<double, std::milli>(took).count();
                nlohmann::ordered_json body = {
                    {"status", "ok"},
                    {"token", token_json(token)},
                    {"test_signature",
                     {{"key", key}, {"alg", std::string(to_string(req.alg))}, {"ms", ms}}},
                    {"audit", "ok"}};
                // An expiring certificate is for the operator to act on, not a reason to stop
                // signing: still 200.
                auto warnings =
                    certificate_warnings(*store, std::chrono::system_clock::now(), warning_days);
                if (!warnings.empty()) body["warnings"] = std::move(warnings);
                return json_response(http::status::ok, body);
              });
}

void Api::finish_health(Response response) {
  // Every answer is kept for a second, failures too: probes must not hammer a token that is down.
  health_cached_ = response;
  health_at_ = std::chrono::steady_clock::now();
  auto waiters = std::move(health_waiters_);
  health_waiters_.clear();
  for (auto& reply : waiters) reply(response);
}

}  // namespace p11signd::daemon
