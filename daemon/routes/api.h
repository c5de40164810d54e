#pragma once
// The routes of docs/api.md, free of sockets: a parsed request and the peer go in, a response
// comes out through a callback (at once, or after a worker signed). Everything here runs on the
// event-loop thread except the work handed to the WorkerPool. Errors become responses at one place
// (dispatch).

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "daemon/access/acl.h"
#include "daemon/keystore/keystore.h"
#include "daemon/observability/audit.h"
#include "daemon/observability/metrics.h"
#include "daemon/routes/router.h"
#include "daemon/routes/routes_schemes.h"
#include "daemon/server/answer_claim.h"
#include "daemon/server/deadline_watch.h"
#include "daemon/server/http.h"
#include "daemon/server/worker_pool.h"

namespace p11signd::daemon {

// What the routes need, owned by the Daemon (or a test).
struct Services {
  KeyStore& store;
  WorkerPool& pool;
  AuditLog& audit;
  Metrics& metrics;
  boost::asio::any_io_executor io;  // the event loop; replies are delivered on it
  std::chrono::milliseconds request_timeout{5000};
  std::function<std::size_t()> connections = [] { return std::size_t{0}; };
};

class Api {
 public:
  // Called on the event loop with the answer.
  using Reply = std::function<void(Response)>;
  // Called on a worker with the answer it made; sends it without the event loop (the connection's
  // DirectAnswer). Null where nobody offers one (tests, the in-process callers).
  using DirectReply = std::function<void(Response)>;
  using Work = std::function<Response(SigningSession&)>;

  // peers: those check_config() read for config; null: read them here.
  Api(Services services, const Config& config, std::shared_ptr<const LoadedPeers> peers = nullptr);
  ~Api();

  // Counts an answer the server gave without a parsed request (400, 408, 413, 431, 503 at the
  // door).
  void count_transport_answer(unsigned status) { s_.metrics.count_request("(transport)", status); }
  // A connection's event-loop handler failed (daemon/server/loop_guard.h): logged, and audited as
  // an internal error of that peer's request. Never throws.
  void record_handler_failure(const Peer& peer, const std::string& what) noexcept;
  // A peer refused at the door for its share of the daemon (503 too_many_connections..., 429
  // too_many_requests): counted as an answer and as a denial under its code, and audited as op
  // "refuse". Never throws.
  void record_refusal(const Peer& peer, unsigned status, const std::string& code,
                      const std::string& message) noexcept;

  // The server drained: deadlines no longer matter and must not keep the event loop running.
  void stop_deadlines() { deadlines_.stop(); }

  // req may be wiped (the import route clears the private key from the body). A signature made on
  // a worker goes to direct when there is one, every other answer to reply.
  void handle(Request& req, const Peer& peer, Reply reply, DirectReply direct = nullptr);

  std::shared_ptr<const Policy> policy() const { return policy_; }
  // Problems the scheme layer finds in a configuration (scheme names, settings, peers), one line
  // each, and the peers it read. Safe on any thread: a reload runs it off the event loop.
  SchemeCheck check_config(const Config& config) const;
  // After KeyStore::set_keys() took config's keys: one line for each scheme a key lists that cannot
  // sign with the key's type (daemon/routes/scheme_key_types.h). Safe on any thread.
  std::vector<std::string> key_type_problems(const Config& config) const;
  // Swaps in the keys' access rules and the peers (from check_config()) of a configuration that
  // passed check_config() and KeyStore::set_keys(), together with the keys the store now holds.
  // No I/O. Connections and queued work are untouched: a request already admitted signs with the
  // key it was admitted for or not at all (KeyRef).
  void apply_config(const Config& config, std::shared_ptr<const LoadedPeers> peers);

  // Runs work on a worker with the request deadline; the reply comes back on the event loop: the
  // work's response, 503 + Retry-After when the queue is full or no session can be had, 504 past
  // the deadline. timeout 0 means request-timeout-ms; admin operations (key generation) pass a
  // longer one.
  // claim is shared with the work when it must know whether its result will be delivered
  // (audited_sign); a fresh one by default. With direct, the work's response is given to it on
  // the worker instead (the sign routes: their answers touch nothing of the event loop's).
  void run_on_pool(Reply reply, Work work, std::chrono::milliseconds timeout = {},
                   std::shared_ptr<AnswerClaim> claim = nullptr, DirectReply direct = nullptr);

 private:
  struct Call {
    Request& req;
    const Peer& peer;
    const RouteMatch& route;
    Reply reply;
    std::shared_ptr<const Policy> policy;
    DirectReply direct;
  };

  void dispatch(Call& call);
  void require_key_access(const Call& call, const std::string& key,
                          const std::string& scheme) const;
  void require_admin(const Call& call) const;
  // The key as the call's Policy knows it, for the worker to sign with exactly that key; 404 when
  // the store had no such key when the Policy was made.
  KeyRef admitted_key(const Call& call, const std::string& key) const;
  // Before a body is read for its key: a peer that may use no key at all is refused at once.
  void require_some_key(const Call& call) const;
  void audit_denial(const Call& call, const std::string& key, const std::string& message) const;

  // routes_keys.cc
  void list_keys(Call& call);
  void public_key(Call& call);
  void get_certificate(Call& call);
  void metrics(Call& call);
  // routes_health.cc
  void health(Call& call);
  void start_health_check(Call& call);
  // After a good test signature: adds the certificate warnings, read on a worker with a short
  // deadline (the token's admin lock may be held by a key generation), then finish_health().
  void add_certificate_warnings(Response health, std::chrono::days within);
  void finish_health(Response response);
  // routes_sign.cc (the "raw" scheme)
  void sign(Call& call, const std::string& key, const nlohmann::json& body);
  void verify(Call& call, const std::string& key, const nlohmann::json& body);
  // routes_admin.cc
  void create_key(Call& call);
  void import_key(Call& call);
  void make_certificate(Call& call);
  void make_csr(Call& call);
  void add_runtime_key(const KeySpec& spec);
  void check_new_name(const std::string& name) const;
  // routes_versions.cc
  void list_versions(Call& call);
  void jwks(Call& call);
  void rotate_key(Call& call);
  void change_version(Call& call);  // activate, retire, destroy, settings
  // The version ?version= names (404 version_not_found when the key has none such), or the key as
  // the call's Policy has it.
  KeyInfo requested_version(const Call& call) const;
  // The KeyRef a certificate or CSR is made with: the admitted key, pinned to ?version= if given.
  KeyRef requested_key(const Call& call) const;
  // After a version operation: the Policy's copy of the key becomes its active version now.
  void refresh_key(const std::string& name);
  const schemes::KeySettings& configured_settings(const Call& call, const std::string& key) const;
  // routes_schemes.cc
  void list_schemes(Call& call);
  void scheme_op(Call& call);
  void scheme_verify(Call& call, const JsonScan& scan);
  void scheme_sign(Call& call, const std::string& key);

  Services s_;
  DeadlineWatch deadlines_;  // of the work on the pool
  std::shared_ptr<const Policy> policy_;
  // Keys created or imported through the API in this process: admins may use them, and the store
  // keeps them across reloads (see docs/api.md).
  std::map<std::string, KeySpec> runtime_keys_;
  std::unique_ptr<SchemeRoutes> schemes_;

  // Health: at most one test signature a second, shared by every caller waiting for it.
  std::vector<Reply> health_waiters_;
  std::chrono::steady_clock::time_point health_at_{};
  std::optional<Response> health_cached_;
};

nlohmann::ordered_json key_json(const KeyInfo& info, const std::vector<std::string>& schemes);

}  // namespace p11signd::daemon
