#include "daemon/observability/audited_sign.h"

#include "common/digest.h"
#include "daemon/server/http.h"
#include "daemon/server/loop_guard.h"

namespace p11signd::daemon {

void require_audit(AuditLog& audit) {
  if (!audit.healthy() && !audit.try_recover()) {
    throw ApiError(
        http::status::service_unavailable, "audit_unavailable",
        "signing is stopped because the audit log cannot be written: " + audit.failure());
  }
}

Bytes audited_sign(const SignContext& ctx, const SignRequest& req, ByteView data) {
  require_audit(ctx.audit);
  AuditRecord rec;
  rec.op = "sign";
  rec.peer = &ctx.peer;
  rec.key = ctx.key;
  rec.key_version = ctx.key_version;
  rec.scheme = ctx.scheme;
  rec.alg = std::string(to_string(req.alg));
  rec.data_sha256 = sha256_hex(data);
  const auto start = std::chrono::steady_clock::now();
  Bytes signature;
  try {
    KeyRef ref(ctx.key, ctx.key_fingerprint);
    ref.version = ctx.key_version;
    signature = ctx.session.sign(ref, req, data);
  } catch (const std::exception& e) {
    rec.result = std::string("error: ") + e.what();
    rec.latency = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - start);
    ctx.audit.write(rec);
    throw;
  }
  const auto took = std::chrono::steady_clock::now() - start;
  ctx.metrics.observe_sign(ctx.key, rec.alg, took);
  rec.latency = std::chrono::duration_cast<std::chrono::microseconds>(took);
  if (ctx.claim != nullptr && !ctx.claim->claim_result()) {
    rec.result =
        "error: signature withheld: the request had been answered 504 (request-timeout-ms)";
    ctx.audit.write(rec);
    throw ApiError(http::status::gateway_timeout, "token_timeout",
                   "the token did not answer within request-timeout-ms");
  }
  rec.result = "ok";
  if (!ctx.audit.write(rec)) {
    // The signature exists but is not released: an unaudited signature is worse than none.
    throw ApiError(
        http::status::service_unavailable, "audit_unavailable",
        "signature withheld because the audit log cannot be written: " + ctx.audit.failure());
  }
  return signature;
}

namespace {

// The reason an error answer gives, for its audit line: any body, JSON or not, of any shape.
std::string reason_of(const Response& res) {
  const auto body = nlohmann::json::parse(res.body(), nullptr, /*allow_exceptions=*/false);
  if (body.is_object()) {
    const auto error = body.find("error");
    if (error != body.end() && error->is_object()) {
      const auto message = error->find("message");
      if (message != error->end() && message->is_string()) return message->get<std::string>();
    }
  }
  return "HTTP " + std::to_string(res.result_int());
}

}  // namespace

std::function<void(Response)> SignAttempt::audited_reply(
    AuditLog& audit, Peer peer, std::string key, std::string scheme,
    std::function<void(Response)> reply) const {
  return [claim = claim_, &audit, peer = std::move(peer), key = std::move(key),
          scheme = std::move(scheme), reply = std::move(reply)](Response res) {
    if (res.result_int() != 200 && claim->answered_before_work()) {
      // The answer goes out whatever happens to its audit line; a line that cannot be made is
      // logged as such.
      try {
        AuditRecord rec;
        rec.op = "sign";
        rec.peer = &peer;
        rec.key = key;
        rec.scheme = scheme;
        rec.result = "error: " + reason_of(res);
        audit.write(rec);
      } catch (...) {
        log_handler_failure(
            "the audit line of a sign request answered " + std::to_string(res.result_int()),
            what_of(std::current_exception()));
      }
    }
    reply(std::move(res));
  };
}

}  // namespace p11signd::daemon
