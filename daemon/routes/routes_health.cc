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
// How long health waits for the certificates' expiry before it answers without it.
constexpr std::chrono::milliseconds kCertificateCheckTimeout(1000);
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
  run_on_pool(
      [this, warning_days](Response r) {
        if (r.result() != http::status::ok) return finish_health(std::move(r));
        add_certificate_warnings(std::move(r), warning_days);
      },
      [audit = &s_.audit, key, token, spki = info->spki_der,
       type = info->type](SigningSession& session) {
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
        return json_response(
            http::status::ok,
            {{"status", "ok"},
             {"token", token_json(token)},
             {"test_signature",
              {{"key", key}, {"alg", std::string(to_string(req.alg))}, {"ms", ms}}},
             {"audit", "ok"}});
      });
}

// An expiring certificate is for the operator to act on, not a reason to stop signing: the answer
// stays 200 whatever this finds, and when the certificates cannot be read in time (a key being
// generated holds the token's admin lock) it says so instead of waiting.
void Api::add_certificate_warnings(Response health, std::chrono::days within) {
  if (within.count() == 0) return finish_health(std::move(health));
  auto body =
      std::make_shared<nlohmann::ordered_json>(nlohmann::ordered_json::parse(health.body()));
  run_on_pool(
      [this, body](Response r) {
        if (r.result() == http::status::ok) {
          auto warnings = nlohmann::ordered_json::parse(r.body());
          if (!warnings.empty()) (*body)["warnings"] = std::move(warnings);
        } else {
          const auto error = nlohmann::json::parse(r.body(), nullptr, false);
          const bool has_message = error.is_object() && error.contains("error") &&
                                   error["error"].is_object() &&
                                   error["error"].value("message", "") != "";
          (*body)["certificates"] =
              "not checked: " + (has_message ? error["error"]["message"].get<std::string>()
                                             : "the token did not answer in time");
        }
        finish_health(json_response(http::status::ok, *body));
      },
      [store = &s_.store, within](SigningSession&) {
        return json_response(
            http::status::ok,
            certificate_warnings(*store, std::chrono::system_clock::now(), within));
      },
      kCertificateCheckTimeout);
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
