#pragma once
// What the admin routes share (routes_admin.cc, routes_versions.cc): the longer deadline, body
// field readers, the key shape a body asks for, and the audit line every admin operation writes
// whatever its outcome.

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "common/key_shape.h"
#include "daemon/observability/audit.h"
#include "daemon/observability/audited_sign.h"
#include "daemon/server/answer_claim.h"
#include "daemon/server/http.h"

namespace p11signd::daemon {

// Key generation takes seconds for 4096 bits on some tokens: admin work gets a longer deadline.
inline constexpr std::chrono::milliseconds kAdminTimeout{120'000};

ApiError invalid_request(const std::string& message);
unsigned optional_unsigned(const nlohmann::json& body, const std::string& field, unsigned fallback);
bool optional_bool(const nlohmann::json& body, const std::string& field);

// "type" (rsa, rsa:2048, rsa:3072, rsa:4096, ec:P-256, ec:P-384, ed25519; default rsa) and, for
// RSA only, "bits" (2048 unless the type names a size).
KeyShape key_shape(const nlohmann::json& body);

// Writes rec; after a failed write, re-opens the log once and writes it again. Throws 503 when the
// line cannot be written: the operation happened, so its line must not silently go missing.
void write_admin_record(AuditLog& audit, const AuditRecord& rec);

// Runs an admin operation f(AuditRecord&) on a worker and writes its audit line whatever the
// outcome; f may fill in the record (the version it made). claim says whether the client will see
// the result: key generation can outlast the admin deadline, and the trail then says the key
// exists although the client got a 504.
template <typename F>
Response audited_admin(AuditLog& audit, const Peer& peer, const std::string& op,
                       const std::string& key, AnswerClaim& claim, F&& f) {
  require_audit(audit);
  AuditRecord rec;
  rec.op = op;
  rec.peer = &peer;
  rec.key = key;
  const auto start = std::chrono::steady_clock::now();
  auto latency = [&] {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                                 start);
  };
  try {
    Response res = f(rec);
    rec.result = claim.claim_result()
                     ? "ok"
                     : "ok, after the request had been answered 504 (admin deadline)";
    rec.latency = latency();
    write_admin_record(audit, rec);
    return res;
  } catch (const std::exception& e) {
    rec.result = std::string("error: ") + e.what();
    rec.latency = latency();
    audit.write(rec);
    throw;
  }
}

}  // namespace p11signd::daemon
