#pragma once
// The token: one loaded module, one token selected by URI, one login that lasts as long as this
// object, and the recovery that keeps it so. See docs/architecture.md, "Errors and recovery".
//
// Concurrency model. Signers (signer.h) each own a session and run without locks; they bracket
// every use of it with enter()/exit (a Guard), which counts operations in flight. Recovery is
// stop-the-world and rare: it moves the state to kRepairing (new operations wait), waits for
// operations in flight to finish, repairs, bumps the epoch (every session of an older epoch is
// forgotten, never closed) and returns to kReady. When the device itself is lost the state is
// kDown: operations fail at once with kUnavailable while a background thread re-initialises the
// module with exponential backoff.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "pkcs11/cryptoki.h"
#include "pkcs11/key_registry.h"
#include "pkcs11/mechanisms.h"
#include "pkcs11/module.h"
#include "pkcs11/rv.h"
#include "pkcs11/secret.h"
#include "pkcs11/session.h"
#include "pkcs11/token_uri.h"

namespace p11signd::pkcs11 {

struct TokenConfig {
  std::string module_path;
  std::string uri;
  // Reads the PIN when a login needs it (start and re-login); the Secret is wiped right after
  // C_Login.
  std::function<Secret()> read_pin;
  // Most signing sessions to open; 0 means one per CPU core. Never above what the token states.
  unsigned max_sessions = 0;
  std::vector<KeySpec> keys;
  ModuleOptions module;
  // Re-initialisation attempts while the token is down: 100 ms doubling to 1 s. The cap is low so
  // that the daemon signs again within about a second of the token coming back; one C_Initialize
  // and slot scan a second is no load for an HSM.
  std::chrono::milliseconds backoff_initial{100};
  std::chrono::milliseconds backoff_max{1000};
  // How often the key version records are read again, so that another daemon's activation on the
  // same token is followed without a reload; 0: only at start, reload, recovery and admin
  // operations.
  std::chrono::milliseconds version_refresh{0};
};

enum class TokenState { kReady, kRepairing, kDown };
std::string_view to_string(TokenState s);

struct TokenDescription {
  std::string label, serial, manufacturer, model;
  CK_ULONG max_session_count = CK_UNAVAILABLE_INFORMATION;
  CK_ULONG max_rw_session_count = CK_UNAVAILABLE_INFORMATION;
};

class Token final {
 public:
  // Loads the module, selects the token, logs in, checks mechanisms, resolves every configured key.
  // Throws Error: a wrong PIN names CKR_PIN_INCORRECT and is never retried; any key that cannot be
  // used is listed with its reason.
  static std::unique_ptr<Token> open(TokenConfig config);
  ~Token();
  Token(const Token&) = delete;
  Token& operator=(const Token&) = delete;

  const TokenDescription& description() const { return description_; }
  const Mechanisms& mechanisms() const { return mechanisms_; }
  unsigned session_limit() const { return session_limit_; }
  TokenState state() const { return state_.load(std::memory_order_acquire); }
  std::string state_reason() const;
  std::uint64_t recoveries() const { return recoveries_.load(std::memory_order_relaxed); }
  const Module& module() const { return *module_; }
  CK_SLOT_ID slot() const { return slot_; }

  const KeyRegistry& keys() const { return registry_; }
  // Resolves specs on the token and publishes them atomically; on any problem throws (one line per
  // key) and keeps the old set.
  // Keys added by add_key() stay unless specs name them.
  void replace_keys(std::vector<KeySpec> specs);
  // Resolves one key just created on the token and publishes it beside the others, which stay as
  // they are (also those that do not resolve now). Read, check and publish happen under the admin
  // lock, so concurrent additions and replace_keys() never undo each other. Throws Error(kConflict)
  // when the name is taken.
  ResolvedKey add_key(KeySpec spec);
  // Reads the version records and publishes again every key whose record changed since the
  // snapshot was made (another daemon's admin operation). Returns whether it published.
  bool refresh_versions();

  // Runs change(module, session, spec) under the admin lock, spec being how the registry finds the
  // key name; then reads the key's versions again from the token and publishes them in a new
  // snapshot (key_versions.h). Nothing is published when change throws. Throws Error(kNotFound)
  // for a name the registry does not have.
  template <typename F>
  void change_versions(const std::string& name, F&& change);

  // Runs f(module, session) on the login session (read-write), serialised with every other admin
  // operation (key creation must be: SoftHSM breaks under concurrent object creation). Recovers and
  // retries once.
  template <typename F>
  auto with_admin_session(F&& f) -> decltype(f(std::declval<const Module&>(), CK_SESSION_HANDLE{}));

  // --- used by Signer ---
  class Guard {
   public:
    Guard(Guard&& other) noexcept;
    Guard& operator=(Guard&&) = delete;
    ~Guard() { release(); }
    std::uint64_t epoch() const { return epoch_; }
    void release();

   private:
    friend class Token;
    Guard(Token* token, std::uint64_t epoch) : token_(token), epoch_(epoch) {}
    Token* token_;
    std::uint64_t epoch_;
  };
  // Waits while repairing; throws Error(kUnavailable) when down.
  Guard enter();
  // Repairs after error, seen under epoch; no-op when someone already did. The error's text becomes
  // the reason state_reason() (and so health and every refused request) gives while the token is
  // down.
  void recover(const Error& error, std::uint64_t epoch);
  // Counts signing sessions against session_limit(); throws Error(kUnavailable) past it.
  void acquire_session_slot();
  void release_session_slot();

 private:
  explicit Token(TokenConfig config);
  void connect(bool strict_keys);
  void login();
  void quiesce();
  void repair_sessions();
  void go_down(const std::string& reason, bool retry);
  void reinitialize_loop(const std::stop_token& stop);
  void refresh_versions_loop(const std::stop_token& stop);
  void set_reason(const std::string& reason);
  KeySpec configured_spec(const std::string& name) const;
  void publish_versions(const Module& module, CK_SESSION_HANDLE session, const KeySpec& spec);

  TokenConfig config_;
  TokenUri uri_;
  std::unique_ptr<Module> module_;
  CK_SLOT_ID slot_ = 0;
  TokenDescription description_;
  Mechanisms mechanisms_;
  unsigned session_limit_ = 1;
  Session login_session_;
  KeyRegistry registry_;

  std::atomic<TokenState> state_{TokenState::kReady};
  std::atomic<std::uint64_t> epoch_{1};
  std::atomic<int> in_flight_{0};
  std::atomic<unsigned> sessions_in_use_{0};
  std::atomic<std::uint64_t> recoveries_{0};
  std::mutex recovery_mutex_;
  std::mutex admin_mutex_;
  mutable std::mutex reason_mutex_;
  std::string reason_;
  std::mutex down_mutex_;
  std::condition_variable_any down_cv_;
  std::jthread reinit_thread_;
  std::jthread refresh_thread_;  // last: stopped and joined before anything it uses goes
};

bool is_recoverable(ErrorCategory c);

template <typename F>
auto Token::with_admin_session(F&& f)
    -> decltype(f(std::declval<const Module&>(), CK_SESSION_HANDLE{})) {
  std::lock_guard lock(admin_mutex_);
  for (int attempt = 0;; ++attempt) {
    Guard guard = enter();
    try {
      return f(*module_, login_session_.handle());
    } catch (const Error& e) {
      const auto epoch = guard.epoch();
      guard.release();
      if (attempt > 0 || !is_recoverable(e.category())) throw;
      recover(e, epoch);
    }
  }
}

template <typename F>
void Token::change_versions(const std::string& name, F&& change) {
  with_admin_session([&](const Module& module, CK_SESSION_HANDLE session) {
    const KeySpec spec = configured_spec(name);
    change(module, session, spec);
    publish_versions(module, session, spec);
    return 0;
  });
}

}  // namespace p11signd::pkcs11
