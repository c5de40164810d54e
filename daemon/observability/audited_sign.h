#pragma once
// Every signature the daemon makes goes through here: refuse when the audit log is broken (fail
// closed), sign on the worker's session, record latency, and write the audit line before the
// signature is released.

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "daemon/keystore/keystore.h"
#include "daemon/observability/audit.h"
#include "daemon/observability/metrics.h"
#include "daemon/server/answer_claim.h"
#include "daemon/server/http.h"

namespace p11signd::daemon {

struct SignContext {
  AuditLog& audit;
  Metrics& metrics;
  SigningSession& session;
  const Peer& peer;
  std::string key;
  std::string scheme;
  // The request's answer: a signature made after its deadline answered 504 is audited as withheld.
  // Null when nobody waits on a deadline (tests, tools).
  AnswerClaim* claim = nullptr;
  // The fingerprint of the key the request was admitted for (KeyRef); empty: no such check.
  std::string key_fingerprint = {};
  // The version to sign with (KeyRef::version): the store refuses with kNotActive once it is no
  // longer the active one. Empty: whichever version is active.
  std::optional<unsigned> key_version = {};
};

// Throws ApiError(503 audit_unavailable) when the audit log cannot be written, StoreError from the
// token.
Bytes audited_sign(const SignContext& ctx, const SignRequest& req, ByteView data);
// Fails closed before any work is done: throws ApiError(503 audit_unavailable) when the log is
// broken.
void require_audit(AuditLog& audit);

// A sign request that is answered without reaching the token (queue full, deadline passed while
// queued, no session) still gets its audit line: the reply is wrapped and writes it. Once the work
// has begun, audited_sign writes the line itself - "ok", an error, or the signature withheld
// because the deadline answered first. The claim is the one run_on_pool decides the answer with.
class SignAttempt {
 public:
  std::shared_ptr<AnswerClaim> claim() const { return claim_; }
  // Wraps reply: a non-200 answer given before the work began writes {op sign, result "error:
  // ..."}.
  std::function<void(Response)> audited_reply(AuditLog& audit, Peer peer, std::string key,
                                              std::string scheme,
                                              std::function<void(Response)> reply) const;

 private:
  std::shared_ptr<AnswerClaim> claim_ = std::make_shared<AnswerClaim>();
};

}  // namespace p11signd::daemon
