#include "daemon/audited_sign.h"

#include "common/digest.h"
#include "daemon/http.h"

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
  rec.scheme = ctx.scheme;
  rec.alg = std::string(to_string(req.alg));
  rec.data_sha256 = sha256_hex(data);
  const auto start = std::chrono::steady_clock::now();
  Bytes signature;
  try {
    signature = ctx.session.sign(ctx.key, req, data);
  } catch (const std::exception& e) {
    rec.result = std::string("error: ") + e.what();
    rec.latency = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - start);
    ctx.audit.write(rec);
    throw;
  }
  const auto took = std::chrono::steady_clock::now() - start;
  ctx.metrics.observe_sign(ctx.key, rec.alg, took);
  rec.result = "ok";
  rec.latency = std::chrono::duration_cast<std::chrono::microseconds>(took);
  if (!ctx.audit.write(rec)) {
    // The signature exists but is not released: an unaudited signature is worse than none.
    throw ApiError(
        http::status::service_unavailable, "audit_unavailable",
        "signature withheld because the audit log cannot be written: " + ctx.audit.failure());
  }
  return signature;
}

}  // namespace p11signd::daemon
