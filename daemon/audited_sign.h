#pragma once
// Every signature the daemon makes goes through here: refuse when the audit log is broken (fail
// closed), sign on the worker's session, record latency, and write the audit line before the
// signature is released.

#include <string>

#include "daemon/audit.h"
#include "daemon/keystore.h"
#include "daemon/metrics.h"

namespace p11signd::daemon {

struct SignContext {
  AuditLog& audit;
  Metrics& metrics;
  SigningSession& session;
  const Peer& peer;
  std::string key;
  std::string scheme;
};

// Throws ApiError(503 audit_unavailable) when the audit log cannot be written, StoreError from the
// token.
Bytes audited_sign(const SignContext& ctx, const SignRequest& req, ByteView data);
// Fails closed before any work is done: throws ApiError(503 audit_unavailable) when the log is
// broken.
void require_audit(AuditLog& audit);

}  // namespace p11signd::daemon
