#include "pkcs11/token.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "pkcs11/version_resolution.h"

namespace p11signd::pkcs11 {

std::string_view to_string(TokenState s) {
  switch (s) {
    case TokenState::kReady:
      return "ready";
    case TokenState::kRepairing:
      return "recovering";
    case TokenState::kDown:
      return "down";
  }
  return "unknown";
}

bool is_recoverable(ErrorCategory c) {
  return c == ErrorCategory::kSessionLost || c == ErrorCategory::kLoginLost ||
         c == ErrorCategory::kHandlesStale || c == ErrorCategory::kTokenLost;
}

namespace {

// SoftHSM seeing no token at all is nearly always SoftHSM looking in another directory: it reads
// the token directory from the file $SOFTHSM2_CONF names.
std::string where_softhsm_looks(const std::string& module_path) {
  if (module_path.find("softhsm") == std::string::npos) return "";
  const char* conf = std::getenv("SOFTHSM2_CONF");
  return std::string("; SoftHSM reads its token directory from the file SOFTHSM2_CONF names, ") +
         (conf && *conf ? std::string("here ") + conf
                        : "unset here, so /etc/softhsm/softhsm2.conf") +
         ": point SOFTHSM2_CONF at the softhsm2.conf of the token's directory";
}

// Returns the one slot whose token matches uri; the error lists what is there when none or several
// match.
CK_SLOT_ID select_slot(const Module& module, const TokenUri& uri, TokenDescription& out) {
  CK_ULONG count = 0;
  module.call("C_GetSlotList", &CK_FUNCTION_LIST::C_GetSlotList, CK_TRUE, nullptr, &count);
  std::vector<CK_SLOT_ID> slots(count);
  module.call("C_GetSlotList", &CK_FUNCTION_LIST::C_GetSlotList, CK_TRUE, slots.data(), &count);
  slots.resize(count);
  std::vector<CK_SLOT_ID> matches;
  std::string present;
  for (CK_SLOT_ID slot : slots) {
    CK_TOKEN_INFO info{};
    if (module.call_rv(&CK_FUNCTION_LIST::C_GetTokenInfo, slot, &info) != CKR_OK) continue;
    if (!(info.flags & CKF_TOKEN_INITIALIZED)) continue;  // e.g. SoftHSM's spare empty slot
    const std::string label = trimmed(info.label, sizeof info.label);
    present += (present.empty() ? "'" : ", '") + label + "'";
    if (!uri.matches(info)) continue;
    matches.push_back(slot);
    out = TokenDescription{label,
                           trimmed(info.serialNumber, sizeof info.serialNumber),
                           trimmed(info.manufacturerID, sizeof info.manufacturerID),
                           trimmed(info.model, sizeof info.model),
                           info.ulMaxSessionCount,
                           info.ulMaxRwSessionCount};
  }
  if (matches.empty()) {
    throw Error(ErrorCategory::kTokenLost,
                "no token matches '" + uri.text() + "' in " + module.path() + " (tokens present: " +
                    (present.empty() ? "none" + where_softhsm_looks(module.path()) : present) +
                    ")");
  }
  if (matches.size() > 1) {
    throw Error(ErrorCategory::kBadInput, "'" + uri.text() + "' matches " +
                                              std::to_string(matches.size()) +
                                              " tokens; add serial= to the URI");
  }
  return matches.front();
}

bool is_pin_refusal(const Error& e) {
  return e.rv() == CKR_PIN_INCORRECT || e.rv() == CKR_PIN_LOCKED || e.rv() == CKR_PIN_EXPIRED;
}

// The token stays down for good after this: retries with a refused PIN lock tokens.
std::string pin_refused_reason(const Error& e) {
  return std::string(e.what()) +
         "; not retrying (a retry could lock the token): fix the PIN and restart";
}

bool is_stated(CK_ULONG limit) {
  return limit != CK_EFFECTIVELY_INFINITE && limit != CK_UNAVAILABLE_INFORMATION;
}

unsigned session_limit_for(const TokenConfig& config, const TokenDescription& token) {
  unsigned want = config.max_sessions;
  if (want == 0) want = std::max(1u, std::thread::hardware_concurrency());
  if (is_stated(token.max_session_count)) {
    // One session is the login session, kept open for the life of the login.
    if (token.max_session_count < 2) {
      throw Error(ErrorCategory::kPermanent,
                  "token '" + token.label + "' allows only one session; two are needed");
    }
    want = std::min<unsigned>(want, static_cast<unsigned>(token.max_session_count - 1));
  }
  return want;
}

}  // namespace

Token::Guard::Guard(Guard&& other) noexcept
    : token_(std::exchange(other.token_, nullptr)), epoch_(other.epoch_) {}

void Token::Guard::release() {
  if (token_ != nullptr) std::exchange(token_, nullptr)->in_flight_.fetch_sub(1);
}

Token::Token(TokenConfig config)
    : config_(std::move(config)), uri_(config_.uri), registry_(config_.keys) {}

std::unique_ptr<Token> Token::open(TokenConfig config) {
  if (!config.read_pin) throw Error(ErrorCategory::kBadInput, "no PIN source configured");
  for (const auto& spec : config.keys) validate_spec(spec);
  std::unique_ptr<Token> token(new Token(std::move(config)));
  token->module_ = Module::load(token->config_.module_path, token->config_.module);
  token->slot_ = select_slot(*token->module_, token->uri_, token->description_);
  token->mechanisms_ = Mechanisms::probe(*token->module_, token->slot_);
  token->session_limit_ = session_limit_for(token->config_, token->description_);
  token->connect(/*strict_keys=*/true);
  if (token->config_.version_refresh.count() > 0) {
    token->refresh_thread_ = std::jthread(
        [t = token.get()](const std::stop_token& stop) { t->refresh_versions_loop(stop); });
  }
  return token;
}

Token::~Token() {
  refresh_thread_.request_stop();
  reinit_thread_.request_stop();
  down_cv_.notify_all();
}

std::string Token::state_reason() const {
  std::lock_guard lock(reason_mutex_);
  return reason_;
}

void Token::set_reason(const std::string& reason) {
  std::lock_guard lock(reason_mutex_);
  reason_ = reason;
}

void Token::login() {
  Secret pin = config_.read_pin();
  const CK_RV rv =
      module_->call_rv(&CK_FUNCTION_LIST::C_Login, login_session_.handle(), CKU_USER,
                       reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>(pin.view().data())),
                       static_cast<CK_ULONG>(pin.view().size()));
  pin.wipe();
  if (rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN) return;
  Error error("login to token '" + description_.label + "'", "C_Login", rv);
  if (config_.module.log) config_.module.log(std::string("pkcs11: ") + error.what());
  throw error;  // never retried here: a wrong PIN retried locks the token
}

// Opens the login session, logs in and resolves the keys for the current epoch.
void Token::connect(bool strict_keys) {
  login_session_ = Session(*module_, slot_, /*rw=*/true);
  login();
  auto specs = registry_.specs();
  auto set = std::make_shared<KeySet>(
      resolve_keys(*module_, login_session_.handle(), specs, epoch_.load()));
  if (strict_keys && !set->unresolved.empty()) throw set->unresolved_error();
  registry_.publish(std::move(set));
}

namespace {

bool names(const std::vector<KeySpec>& specs, const std::string& name) {
  return std::any_of(specs.begin(), specs.end(), [&](const KeySpec& s) { return s.name == name; });
}

}  // namespace

void Token::replace_keys(std::vector<KeySpec> specs) {
  for (const auto& spec : specs) validate_spec(spec);
  with_admin_session([&](const Module& module, CK_SESSION_HANDLE session) {
    for (const auto& old : registry_.specs()) {
      if (old.added && !names(specs, old.name)) specs.push_back(old);
    }
    auto set = std::make_shared<KeySet>(resolve_keys(module, session, specs, epoch_.load()));
    if (!set->unresolved.empty()) throw set->unresolved_error();
    registry_.publish(std::move(set), specs);
    return 0;
  });
}

ResolvedKey Token::add_key(KeySpec spec) {
  validate_spec(spec);
  spec.added = true;
  return with_admin_session([&](const Module& module, CK_SESSION_HANDLE session) {
    auto specs = registry_.specs();
    if (names(specs, spec.name)) {
      throw Error(ErrorCategory::kConflict, "a key named '" + spec.name + "' already exists");
    }
    auto set = std::make_shared<KeySet>(*registry_.snapshot());
    put_versions(*set, module, session, spec, read_version_records(module, session));
    ResolvedKey key = set->keys.at(spec.name);
    specs.push_back(std::move(spec));
    registry_.publish(std::move(set), std::move(specs));
    return key;
  });
}

KeySpec Token::configured_spec(const std::string& name) const {
  for (auto& spec : registry_.specs()) {
    if (spec.name == name) return spec;
  }
  throw Error(ErrorCategory::kNotFound, "unknown key '" + name + "'");
}

// Called under the admin lock, after a version change was written.
void Token::publish_versions(const Module& module, CK_SESSION_HANDLE session, const KeySpec& spec) {
  auto set = std::make_shared<KeySet>(*registry_.snapshot());
  put_versions(*set, module, session, spec, read_version_records(module, session));
  registry_.publish(std::move(set));
}

bool Token::refresh_versions() {
  return with_admin_session([&](const Module& module, CK_SESSION_HANDLE session) {
    const RecordsOnToken records = read_version_records(module, session);
    const auto current = registry_.snapshot();
    std::shared_ptr<KeySet> next;
    for (const auto& spec : registry_.specs()) {
      const auto seen = current->record_serials.find(spec.name);
      if (seen == current->record_serials.end() || seen->second == records.serial_for(spec)) {
        continue;  // unresolved (a reload retries it), or unchanged
      }
      if (!next) next = std::make_shared<KeySet>(*current);
      try {
        put_versions(*next, module, session, spec, records);
      } catch (const Error& e) {
        if (e.rv() != CKR_OK) throw;
        // Keeps the versions it has: the next reload reports the key with the reason.
        module.log("pkcs11: key '" + spec.name + "' keeps its versions: " + e.what());
      }
    }
    if (!next) return false;
    registry_.publish(std::move(next));
    return true;
  });
}

void Token::refresh_versions_loop(const std::stop_token& stop) {
  while (!stop.stop_requested()) {
    {
      std::unique_lock lock(down_mutex_);
      down_cv_.wait_for(lock, stop, config_.version_refresh, [] { return false; });
    }
    if (stop.stop_requested() || state() != TokenState::kReady) continue;
    try {
      refresh_versions();
    } catch (const std::exception& e) {  // the token's trouble: recovery and health tell it
      module_->log(std::string("pkcs11: re-reading the key version records failed: ") + e.what());
    }
  }
}

Token::Guard Token::enter() {
  for (;;) {
    const TokenState s = state_.load(std::memory_order_acquire);
    if (s == TokenState::kDown) {
      throw Error(ErrorCategory::kUnavailable,
                  "token '" + description_.label + "' is unavailable: " + state_reason());
    }
    if (s == TokenState::kRepairing) {
      state_.wait(TokenState::kRepairing, std::memory_order_acquire);
      continue;
    }
    in_flight_.fetch_add(1);
    if (state_.load() == TokenState::kReady) return Guard(this, epoch_.load());
    in_flight_.fetch_sub(1);
  }
}

void Token::quiesce() {
  state_.store(TokenState::kRepairing);
  while (in_flight_.load() != 0) std::this_thread::sleep_for(std::chrono::microseconds(50));
}

void Token::recover(const Error& error, std::uint64_t epoch) {
  const ErrorCategory category = error.category();
  if (!is_recoverable(category)) return;
  std::lock_guard lock(recovery_mutex_);
  if (epoch_.load() != epoch || state_.load() == TokenState::kDown) return;  // already handled
  quiesce();
  recoveries_.fetch_add(1, std::memory_order_relaxed);
  if (category == ErrorCategory::kTokenLost) {
    go_down(std::string("the token reported a device failure (") + error.what() +
                "); re-initialising the module",
            /*retry=*/true);
    return;
  }
  try {
    repair_sessions();
    state_.store(TokenState::kReady);
    state_.notify_all();
  } catch (const Error& e) {
    if (is_pin_refusal(e)) {
      go_down(pin_refused_reason(e), /*retry=*/false);
    } else {
      go_down(e.what(), /*retry=*/true);
    }
  } catch (const std::exception& e) {  // out of memory, say: never leave the token "repairing"
    go_down(std::string("repair failed: ") + e.what(), /*retry=*/true);
  }
}

// Session, login and handle failures: close every session of the application (handles of the old
// epoch are then certainly dead, so nobody's stale number can hit a new session), log in again,
// find the keys again.
void Token::repair_sessions() {
  module_->call_rv(&CK_FUNCTION_LIST::C_CloseAllSessions, slot_);
  login_session_.handle_lost();
  epoch_.fetch_add(1);
  connect(/*strict_keys=*/false);
}

void Token::go_down(const std::string& reason, bool retry) {
  set_reason(reason);
  state_.store(TokenState::kDown);
  state_.notify_all();
  if (!retry) return;
  reinit_thread_ = std::jthread([this](const std::stop_token& stop) { reinitialize_loop(stop); });
}

void Token::reinitialize_loop(const std::stop_token& stop) {
  auto delay = config_.backoff_initial;
  while (!stop.stop_requested()) {
    {
      std::unique_lock lock(down_mutex_);
      down_cv_.wait_for(lock, stop, delay, [] { return false; });
    }
    if (stop.stop_requested()) return;
    std::string failure;
    try {
      login_session_.handle_lost();
      epoch_.fetch_add(1);
      module_->reinitialize();
      TokenDescription seen;
      slot_ = select_slot(*module_, uri_, seen);  // the token may come back in another slot
      connect(/*strict_keys=*/false);
      set_reason("");
      state_.store(TokenState::kReady);
      state_.notify_all();
      return;
    } catch (const Error& e) {
      if (is_pin_refusal(e)) return set_reason(pin_refused_reason(e));
      failure = e.what();
    } catch (const std::exception& e) {  // an exception leaving this thread would terminate us
      failure = std::string("re-initialising failed: ") + e.what();
    }
    delay = std::min(delay * 2, config_.backoff_max);
    set_reason(failure + "; retrying in " + std::to_string(delay.count()) + " ms");
  }
}

void Token::acquire_session_slot() {
  unsigned used = sessions_in_use_.load();
  do {
    if (used >= session_limit_) {
      throw Error(ErrorCategory::kUnavailable, "all " + std::to_string(session_limit_) +
                                                   " sessions of token '" + description_.label +
                                                   "' are in use");
    }
  } while (!sessions_in_use_.compare_exchange_weak(used, used + 1));
}

void Token::release_session_slot() { sessions_in_use_.fetch_sub(1); }

}  // namespace p11signd::pkcs11
