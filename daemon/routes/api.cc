#include "daemon/routes/api.h"

#include <boost/asio/post.hpp>

#include "daemon/routes/routes_schemes.h"
#include "daemon/routes/scheme_key_types.h"
#include "daemon/server/loop_guard.h"

namespace p11signd::daemon {
namespace {

namespace asio = boost::asio;

// The reply and its deadline's ticket. The reply is touched on the event loop only; which answer
// is given - the worker's result or the deadline's - is decided by the AnswerClaim, so deliver()
// runs at most once, and not at all when the worker sent its result itself.
struct Pending {
  Pending(Api::Reply r, std::shared_ptr<AnswerClaim> c)
      : reply(std::move(r)), claim(std::move(c)) {}
  // On the event loop, from the deadline or a worker's posted result: nothing may escape into the
  // loop. The answer path guards its own side effects, so what is caught here is the connection's.
  void deliver(Response res) {
    auto answer = std::exchange(reply, nullptr);
    try {
      answer(std::move(res));
    } catch (...) {
      log_handler_failure("a request's answer", what_of(std::current_exception()));
    }
  }
  Api::Reply reply;
  std::shared_ptr<AnswerClaim> claim;
  DeadlineWatch::Ticket deadline;
};

// Wraps an answer path (the loop's reply or the worker's direct one) so each answer is counted
// under its route's name and status, whichever path gives it.
std::function<void(Response)> counted_by(Metrics& metrics, std::string name,
                                         std::function<void(Response)> answer) {
  if (!answer) return nullptr;
  return [&metrics, name = std::move(name), answer = std::move(answer)](Response r) {
    try {
      metrics.count_request(name, r.result_int());
    } catch (...) {  // a count lost is better than an answer lost
      log_handler_failure("counting an answer", what_of(std::current_exception()));
    }
    answer(std::move(r));
  };
}

bool session_still_good(const StoreError& e) {
  return e.kind() != StoreErrorKind::kUnavailable && e.kind() != StoreErrorKind::kInternal;
}

// Runs work, turning every exception into its response; false when the session should be dropped.
std::pair<Response, bool> run_guarded(const Api::Work& work, SigningSession& session) {
  try {
    return {work(session), true};
  } catch (const ApiError& e) {
    return {error_response(e), true};
  } catch (const StoreError& e) {
    return {error_response_for(e), session_still_good(e)};
  } catch (const std::exception& e) {
    return {error_response_for(e), false};
  }
}

}  // namespace

Api::Api(Services services, const Config& config, std::shared_ptr<const LoadedPeers> peers)
    : s_(std::move(services)), deadlines_(s_.io), schemes_(make_scheme_routes()) {
  apply_config(config, peers ? std::move(peers) : schemes_->check(config).peers);
}

SchemeCheck Api::check_config(const Config& config) const { return schemes_->check(config); }

std::vector<std::string> Api::key_type_problems(const Config& config) const {
  return daemon::key_type_problems(config, s_.store, *schemes_);
}

void Api::apply_config(const Config& config, std::shared_ptr<const LoadedPeers> peers) {
  schemes_->set_peers(std::move(peers));
  std::set<std::string> runtime;
  for (const auto& [name, spec] : runtime_keys_) runtime.insert(name);
  // The store published these keys before the reload came back to the loop: from now on requests
  // are admitted by these rules and sign with these keys, and a request admitted before keeps the
  // previous pair (docs/architecture.md, "Reload atomicity").
  policy_ = std::make_shared<const Policy>(config, runtime, s_.store.keys());
}

Api::~Api() = default;

void Api::run_on_pool(Reply reply, Work work, std::chrono::milliseconds timeout,
                      std::shared_ptr<AnswerClaim> claim, DirectReply direct) {
  if (timeout.count() == 0) timeout = s_.request_timeout;
  if (!claim) claim = std::make_shared<AnswerClaim>();
  auto pending = std::make_shared<Pending>(std::move(reply), claim);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  pending->deadline = deadlines_.watch(deadline, [pending] {
    if (!pending->claim->claim_failure()) return;
    pending->deliver(error_response(http::status::gateway_timeout, "token_timeout",
                                    "the token did not answer within request-timeout-ms"));
  });
  auto io = s_.io;
  Job job;
  job.deadline = deadline;
  job.run = [this, pending, work = std::move(work), io,
             direct = std::move(direct)](SigningSession& session) {
    if (!pending->claim->begin_work()) return true;  // answered while it waited; nobody listens
    auto [res, keep] = run_guarded(work, session);
    if (pending->claim->claim_result()) {
      deadlines_.forget(pending->deadline);
      if (direct) {
        direct(std::move(res));
      } else {
        asio::post(io, [pending, r = std::move(res)]() mutable { pending->deliver(std::move(r)); });
      }
    }
    return keep;
  };
  job.fail = [this, pending, io](const std::string& reason, bool expired) {
    if (!pending->claim->claim_failure()) return;
    deadlines_.forget(pending->deadline);
    Response res =
        expired ? error_response(http::status::gateway_timeout, "token_timeout", reason)
                : error_response(http::status::service_unavailable, "token_unavailable", reason);
    asio::post(io, [pending, r = std::move(res)]() mutable { pending->deliver(std::move(r)); });
  };
  if (!s_.pool.submit(std::move(job)) && claim->claim_failure()) {
    deadlines_.forget(pending->deadline);
    pending->deliver(error_response(http::status::service_unavailable, "queue_full",
                                    "all workers are busy and the queue is full; retry later"));
  }
}

void Api::handle(Request& req, const Peer& peer, Reply reply, DirectReply direct) {
  const auto target = req.target();
  auto result = route(req.method(), std::string_view(target.data(), target.size()));
  if (!result.match) {
    const bool not_allowed = result.error == http::status::method_not_allowed;
    Response res = not_allowed ? error_response(result.error, "method_not_allowed",
                                                "use " + result.allow + " for this path")
                               : error_response(result.error, "not_found", "no such route");
    if (not_allowed) res.set(http::field::allow, result.allow);
    s_.metrics.count_request("unmatched", res.result_int());
    reply(std::move(res));
    return;
  }
  const RouteMatch& m = *result.match;
  Reply counted = counted_by(s_.metrics, m.name, std::move(reply));
  Call call{req, peer, m, counted, policy_, counted_by(s_.metrics, m.name, std::move(direct))};
  try {
    dispatch(call);
  } catch (const std::exception& e) {
    counted(error_response_for(e));
  }
}

void Api::dispatch(Call& call) {
  switch (call.route.id) {
    case RouteId::kHealth:
      return health(call);
    case RouteId::kListKeys:
      return list_keys(call);
    case RouteId::kPublicKey:
      return public_key(call);
    case RouteId::kGetCertificate:
      return get_certificate(call);
    // The key is in the path: access is decided before the body is parsed.
    case RouteId::kSign:
      require_key_access(call, call.route.key, "raw");
      return sign(call, call.route.key, parse_json_object(call.req.body()));
    case RouteId::kVerify:
      require_key_access(call, call.route.key, "raw");
      return verify(call, call.route.key, parse_json_object(call.req.body()));
    case RouteId::kListSchemes:
      return list_schemes(call);
    case RouteId::kSchemeOp:
      return scheme_op(call);
    case RouteId::kCreateKey:
      return create_key(call);
    case RouteId::kImportKey:
      return import_key(call);
    case RouteId::kMakeCertificate:
      return make_certificate(call);
    case RouteId::kMakeCsr:
      return make_csr(call);
    case RouteId::kMetrics:
      return metrics(call);
    case RouteId::kListVersions:
      return list_versions(call);
    case RouteId::kJwks:
      return jwks(call);
    case RouteId::kRotateKey:
      return rotate_key(call);
    case RouteId::kActivateVersion:
    case RouteId::kRetireVersion:
    case RouteId::kDestroyVersion:
    case RouteId::kVersionSettings:
      return change_version(call);
  }
}

void Api::record_handler_failure(const Peer& peer, const std::string& what) noexcept {
  try {
    log_handler_failure("a connection of uid " + std::to_string(peer.uid), what);
    AuditRecord rec;
    rec.op = "error";
    rec.peer = &peer;
    rec.result = "error: internal: " + what;
    s_.audit.write(rec);
  } catch (...) {
    log_handler_failure("the audit line of a failed connection", what_of(std::current_exception()));
  }
}

void Api::record_refusal(const Peer& peer, unsigned status, const std::string& code,
                         const std::string& message) noexcept {
  try {
    count_transport_answer(status);
    s_.metrics.count_denial(code);
    AuditRecord rec;
    rec.op = "refuse";
    rec.peer = &peer;
    rec.result = "refused: " + code + ": " + message;
    s_.audit.write(rec);
  } catch (...) {
    log_handler_failure("the audit line of a refusal", what_of(std::current_exception()));
  }
}

void Api::audit_denial(const Call& call, const std::string& key, const std::string& message) const {
  s_.metrics.count_denial(call.route.admin ? "admin" : "key");
  AuditRecord rec;
  rec.op = "deny";
  rec.peer = &call.peer;
  rec.key = key;
  rec.scheme = call.route.scheme;
  rec.result = "denied: " + message;
  s_.audit.write(rec);
}

void Api::require_key_access(const Call& call, const std::string& key,
                             const std::string& scheme) const {
  if (!call.policy->knows_key(key)) {
    throw ApiError(http::status::not_found, "key_not_found", "no key named '" + key + "'");
  }
  if (auto denial = call.policy->deny_key(call.peer, key, scheme)) {
    audit_denial(call, key, denial->audit_reason);
    throw ApiError(http::status::forbidden, "forbidden", denial->message);
  }
}

KeyRef Api::admitted_key(const Call& call, const std::string& key) const {
  const KeyInfo* info = call.policy->key(key);
  if (!info) throw ApiError(http::status::not_found, "key_not_found", "no key named '" + key + "'");
  return {key, info->fingerprint_sha256};
}

void Api::require_admin(const Call& call) const {
  if (auto denial = call.policy->deny_admin(call.peer)) {
    audit_denial(call, call.route.key, denial->audit_reason);
    throw ApiError(http::status::forbidden, "forbidden", denial->message);
  }
}

nlohmann::ordered_json key_json(const KeyInfo& info, const std::vector<std::string>& schemes) {
  return {{"name", info.name},
          {"label", info.label},
          {"id", info.id_hex},
          {"type", std::string(to_string(info.type))},
          {"bits", info.bits},
          {"schemes", schemes},
          {"fingerprint_sha256", info.fingerprint_sha256},
          {"generated_on_token", info.generated_on_token}};
}

}  // namespace p11signd::daemon
