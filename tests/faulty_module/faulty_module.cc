// libp11faulty.so: a PKCS#11 module that forwards every call to a real module (SoftHSM in the
// tests) and injects the faults its control file asks for (rules.h). Environment:
//   P11FAULTY_MODULE   the real module to load (required)
//   P11FAULTY_CONTROL  the control file (optional; absent or empty: no faults)
//   P11FAULTY_LOG      a file that gets one line per C_Login, per injected fault or delay, per
//                      restart and removal (optional; tests count logins and faults with it)
// Only C_GetFunctionList is exported. The state is process-wide because a C function list carries
// no context; this is test code.
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <type_traits>

#include "tests/faulty_module/rules.h"

namespace p11faulty {
namespace {

using Clock = std::chrono::steady_clock;

enum class Scope {
  kModule,   // no slot or session (C_GetSlotList answers removal itself); exempt from '*'
  kSlot,     // takes a slot, not a session
  kSession,  // first argument is a session handle
  kLogin,    // a session function a logged-out token refuses with CKR_USER_NOT_LOGGED_IN
};

struct FnInfo {
  const char* name;
  Scope scope;
};

struct Fault {
  CK_RV rv = CKR_OK;
  std::chrono::milliseconds delay{0};
};

// What identifies one version of the control file.
struct FileStamp {
  ino_t inode = 0;
  off_t size = -1;
  long mtime_ns = -1;
  bool operator==(const FileStamp&) const = default;
};

class State {
 public:
  CK_FUNCTION_LIST_PTR real = nullptr;
  CK_FUNCTION_LIST list{};

  // Called first in every wrapped function: reloads the rules when the file changed and returns
  // the fault for this call, if any.
  Fault before(const FnInfo& fn, CK_ULONG first_arg);
  // Session bookkeeping around the calls that open and close sessions.
  bool reserve_session();
  void opened(bool reserved, CK_RV rv, CK_SESSION_HANDLE handle);
  void closed(CK_SESSION_HANDLE handle);
  void closed_all();
  void logged_in();
  bool removed();
  void log(const std::string& line);
  // Names the control file and the log (null: none) and forgets the rules read so far.
  void start_over(const char* control, const char* log);

 private:
  void reload_if_changed();
  void apply(Rules rules);
  void restart_locked();
  std::optional<Fault> removal_fault(const FnInfo& fn, Clock::time_point now) const;
  Fault rule_fault(const FnInfo& fn, Clock::time_point now);

  std::mutex mu_;
  std::string control_path_;
  std::mutex log_mu_;  // guards log_path_ alone: log() is called with and without mu_ held
  std::string log_path_;
  FileStamp stamp_;
  Rules rules_;
  Clock::time_point loaded_at_ = Clock::now();
  Clock::time_point removed_until_{};
  std::set<CK_SESSION_HANDLE> open_;  // opened through us, alive
  std::set<CK_SESSION_HANDLE> dead_;  // killed by a restart; the real module still has them open
  unsigned opening_ = 0;
  bool logged_out_ = false;
};

State& state() {
  static State s;
  return s;
}

void State::start_over(const char* control, const char* log) {
  std::lock_guard lock(mu_);
  control_path_ = control ? control : "";
  {
    std::lock_guard log_lock(log_mu_);
    log_path_ = log ? log : "";
  }
  stamp_ = {};
  apply(Rules{});
}

void State::log(const std::string& line) {
  std::string path;
  {
    std::lock_guard log_lock(log_mu_);
    path = log_path_;
  }
  if (path.empty()) return;
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return;
  const std::string text = line + "\n";
  [[maybe_unused]] const ssize_t n = ::write(fd, text.data(), text.size());  // one line, one write
  ::close(fd);
}

std::string hex(CK_RV rv) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%lx", static_cast<unsigned long>(rv));
  return buf;
}

void State::reload_if_changed() {
  struct stat st {};
  FileStamp now;
  std::lock_guard lock(mu_);
  if (control_path_.empty()) return;
  if (::stat(control_path_.c_str(), &st) == 0) {
    now = {st.st_ino, st.st_size, st.st_mtim.tv_sec * 1000000000L + st.st_mtim.tv_nsec};
  }
  if (now == stamp_) return;
  stamp_ = now;
  std::ifstream in(control_path_);
  std::stringstream text;
  text << in.rdbuf();
  try {
    apply(parse_rules(text.str()));
  } catch (const std::invalid_argument& e) {
    // Loud, and no faults at all: a test whose rules are wrong must not pass by accident.
    std::fprintf(stderr, "libp11faulty: %s: %s\n", control_path_.c_str(), e.what());
    log(std::string("control error: ") + e.what());
    apply(Rules{});
  }
}

void State::apply(Rules rules) {
  rules_ = std::move(rules);
  loaded_at_ = Clock::now();
  removed_until_ = {};
  if (rules_.restart || rules_.remove) restart_locked();
  if (rules_.remove) {
    removed_until_ = loaded_at_ + *rules_.remove;
    log("remove " + std::to_string(rules_.remove->count()) + "ms");
  }
}

// Every session the token had is gone and nobody is logged in any more. The real sessions stay
// open (closing them under a thread that is signing crashes SoftHSM) until the application closes
// them; their handles answer CKR_SESSION_HANDLE_INVALID meanwhile.
void State::restart_locked() {
  dead_.insert(open_.begin(), open_.end());
  open_.clear();
  logged_out_ = true;
  log("restart");
}

std::optional<Fault> State::removal_fault(const FnInfo& fn, Clock::time_point now) const {
  if (now >= removed_until_ || fn.scope == Scope::kModule) return std::nullopt;
  return Fault{fn.scope == Scope::kSlot ? CKR_TOKEN_NOT_PRESENT : CKR_DEVICE_REMOVED, {}};
}

Fault State::rule_fault(const FnInfo& fn, Clock::time_point now) {
  Fault fault;
  for (Rule& rule : rules_.rules) {
    const bool named = rule.function == fn.name;
    if (!named && !(rule.function == "*" && fn.scope != Scope::kModule)) continue;
    if (rule.window && now >= loaded_at_ + *rule.window) continue;
    if (rule.count) {
      if (*rule.count == 0) continue;
      --*rule.count;
    }
    if (rule.kind == Rule::Kind::kDelay) {
      fault.delay += rule.delay;
    } else if (fault.rv == CKR_OK) {
      fault.rv = rule.rv;
    }
  }
  return fault;
}

Fault State::before(const FnInfo& fn, CK_ULONG first_arg) {
  reload_if_changed();
  const auto now = Clock::now();
  Fault fault;
  {
    std::lock_guard lock(mu_);
    if (auto removal = removal_fault(fn, now)) {
      fault = *removal;
    } else if (fn.scope >= Scope::kSession && dead_.contains(first_arg)) {
      fault.rv = CKR_SESSION_HANDLE_INVALID;
    } else if (fn.scope == Scope::kLogin && logged_out_) {
      fault.rv = CKR_USER_NOT_LOGGED_IN;
    } else {
      fault = rule_fault(fn, now);
    }
  }
  if (fault.rv != CKR_OK) log(std::string("fault ") + fn.name + " " + hex(fault.rv));
  if (fault.delay.count() > 0) {
    log(std::string("delay ") + fn.name + " " + std::to_string(fault.delay.count()) + "ms");
    std::this_thread::sleep_for(fault.delay);
  }
  return fault;
}

bool State::reserve_session() {
  std::lock_guard lock(mu_);
  if (rules_.max_sessions && open_.size() + opening_ >= *rules_.max_sessions) return false;
  ++opening_;
  return true;
}

void State::opened(bool reserved, CK_RV rv, CK_SESSION_HANDLE handle) {
  std::lock_guard lock(mu_);
  if (reserved) --opening_;
  if (rv == CKR_OK) {
    dead_.erase(handle);
    open_.insert(handle);
  }
}

void State::closed(CK_SESSION_HANDLE handle) {
  std::lock_guard lock(mu_);
  open_.erase(handle);
  dead_.erase(handle);
}

void State::closed_all() {
  std::lock_guard lock(mu_);
  open_.clear();
  dead_.clear();
}

void State::logged_in() {
  std::lock_guard lock(mu_);
  logged_out_ = false;
}

bool State::removed() {
  std::lock_guard lock(mu_);
  return Clock::now() < removed_until_;
}

// --- forwarding ------------------------------------------------------------------------------

template <typename T, typename... Rest>
CK_ULONG first_ulong(T first, Rest...) {
  if constexpr (std::is_same_v<T, CK_ULONG>) {
    return first;
  } else {
    return 0;
  }
}
// Every C_* function takes at least one argument, so no overload for none (clang's
// -Wunused-function).

template <typename Sig>
struct Forward;
template <typename... A>
struct Forward<CK_RV (*)(A...)> {
  template <auto Member, const FnInfo& info>
  static CK_RV call(A... args) {
    const Fault fault = state().before(info, first_ulong(args...));
    if (fault.rv != CKR_OK) return fault.rv;
    return (state().real->*Member)(args...);
  }
};

// An X-macro table, one function per line; clang-format would fold it differently on each run.
// clang-format off
#define P11F_FUNCTIONS(X) \
  X(C_Initialize, kModule) \
  X(C_Finalize, kModule) \
  X(C_GetInfo, kModule) \
  X(C_GetFunctionList, kModule) \
  X(C_GetSlotList, kModule) \
  X(C_GetSlotInfo, kSlot) \
  X(C_GetTokenInfo, kSlot) \
  X(C_GetMechanismList, kSlot) \
  X(C_GetMechanismInfo, kSlot) \
  X(C_InitToken, kSlot) \
  X(C_InitPIN, kSession) \
  X(C_SetPIN, kSession) \
  X(C_OpenSession, kSlot) \
  X(C_CloseSession, kSession) \
  X(C_CloseAllSessions, kSlot) \
  X(C_GetSessionInfo, kSession) \
  X(C_GetOperationState, kSession) \
  X(C_SetOperationState, kSession) \
  X(C_Login, kSession) \
  X(C_Logout, kSession) \
  X(C_CreateObject, kLogin) \
  X(C_CopyObject, kLogin) \
  X(C_DestroyObject, kLogin) \
  X(C_GetObjectSize, kSession) \
  X(C_GetAttributeValue, kSession) \
  X(C_SetAttributeValue, kLogin) \
  X(C_FindObjectsInit, kSession) \
  X(C_FindObjects, kSession) \
  X(C_FindObjectsFinal, kSession) \
  X(C_EncryptInit, kSession) \
  X(C_Encrypt, kSession) \
  X(C_EncryptUpdate, kSession) \
  X(C_EncryptFinal, kSession) \
  X(C_DecryptInit, kLogin) \
  X(C_Decrypt, kLogin) \
  X(C_DecryptUpdate, kLogin) \
  X(C_DecryptFinal, kLogin) \
  X(C_DigestInit, kSession) \
  X(C_Digest, kSession) \
  X(C_DigestUpdate, kSession) \
  X(C_DigestKey, kSession) \
  X(C_DigestFinal, kSession) \
  X(C_SignInit, kLogin) \
  X(C_Sign, kLogin) \
  X(C_SignUpdate, kLogin) \
  X(C_SignFinal, kLogin) \
  X(C_SignRecoverInit, kLogin) \
  X(C_SignRecover, kLogin) \
  X(C_VerifyInit, kSession) \
  X(C_Verify, kSession) \
  X(C_VerifyUpdate, kSession) \
  X(C_VerifyFinal, kSession) \
  X(C_VerifyRecoverInit, kSession) \
  X(C_VerifyRecover, kSession) \
  X(C_DigestEncryptUpdate, kSession) \
  X(C_DecryptDigestUpdate, kLogin) \
  X(C_SignEncryptUpdate, kLogin) \
  X(C_DecryptVerifyUpdate, kLogin) \
  X(C_GenerateKey, kLogin) \
  X(C_GenerateKeyPair, kLogin) \
  X(C_WrapKey, kLogin) \
  X(C_UnwrapKey, kLogin) \
  X(C_DeriveKey, kLogin) \
  X(C_SeedRandom, kSession) \
  X(C_GenerateRandom, kSession) \
  X(C_GetFunctionStatus, kSession) \
  X(C_CancelFunction, kSession) \
  X(C_WaitForSlotEvent, kModule)
// clang-format on

#define P11F_INFO(fn, scope) constexpr FnInfo info_##fn{#fn, Scope::scope};
P11F_FUNCTIONS(P11F_INFO)
#undef P11F_INFO

// --- the calls with more to do than forward ----------------------------------------------------

CK_RV open_session(CK_SLOT_ID slot, CK_FLAGS flags, void* app, CK_NOTIFY notify,
                   CK_SESSION_HANDLE_PTR session) {
  State& s = state();
  if (const Fault f = s.before(info_C_OpenSession, slot); f.rv != CKR_OK) return f.rv;
  const bool reserved = s.reserve_session();
  if (!reserved) {
    s.log("fault C_OpenSession " + hex(CKR_SESSION_COUNT) + " (max-sessions)");
    return CKR_SESSION_COUNT;
  }
  const CK_RV rv = s.real->C_OpenSession(slot, flags, app, notify, session);
  s.opened(reserved, rv, rv == CKR_OK ? *session : CK_INVALID_HANDLE);
  return rv;
}

CK_RV close_session(CK_SESSION_HANDLE session) {
  State& s = state();
  if (const Fault f = s.before(info_C_CloseSession, session); f.rv != CKR_OK) return f.rv;
  const CK_RV rv = s.real->C_CloseSession(session);
  s.closed(session);
  return rv;
}

CK_RV close_all_sessions(CK_SLOT_ID slot) {
  State& s = state();
  if (const Fault f = s.before(info_C_CloseAllSessions, slot); f.rv != CKR_OK) return f.rv;
  const CK_RV rv = s.real->C_CloseAllSessions(slot);
  s.closed_all();
  return rv;
}

// The control file and the log are named again at every C_Initialize: the module may stay loaded
// (libstdc++'s unique symbols keep it in memory) while a test process starts over in a new
// directory.
CK_RV initialize(void* args) {
  State& s = state();
  s.start_over(std::getenv("P11FAULTY_CONTROL"), std::getenv("P11FAULTY_LOG"));
  if (const Fault f = s.before(info_C_Initialize, 0); f.rv != CKR_OK) return f.rv;
  return s.real->C_Initialize(args);
}

CK_RV finalize(void* reserved) {
  State& s = state();
  if (const Fault f = s.before(info_C_Finalize, 0); f.rv != CKR_OK) return f.rv;
  const CK_RV rv = s.real->C_Finalize(reserved);
  s.closed_all();
  s.logged_in();  // the real module now enforces the login itself
  return rv;
}

CK_RV login(CK_SESSION_HANDLE session, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin, CK_ULONG len) {
  State& s = state();
  CK_RV rv = s.before(info_C_Login, session).rv;
  if (rv == CKR_OK) {
    rv = s.real->C_Login(session, user, pin, len);
    // After a simulated restart the real token is still logged in; a restarted one would not be.
    if (rv == CKR_USER_ALREADY_LOGGED_IN) rv = CKR_OK;
    if (rv == CKR_OK) s.logged_in();
  }
  s.log("C_Login " + hex(rv));
  return rv;
}

// A failed C_Sign ends the operation (PKCS#11 5.12): the real one is finished too, so that the
// session stays usable as a real token's would.
CK_RV sign(CK_SESSION_HANDLE session, CK_BYTE_PTR data, CK_ULONG len, CK_BYTE_PTR sig,
           CK_ULONG_PTR sig_len) {
  State& s = state();
  const Fault f = s.before(info_C_Sign, session);
  if (f.rv == CKR_OK) return s.real->C_Sign(session, data, len, sig, sig_len);
  if (f.rv != CKR_SESSION_HANDLE_INVALID && f.rv != CKR_DEVICE_REMOVED) {
    CK_BYTE scratch[1024];
    CK_ULONG scratch_len = sizeof scratch;
    s.real->C_Sign(session, data, len, scratch, &scratch_len);
  }
  return f.rv;
}

// A removed token is no longer in the list of slots with a token.
CK_RV get_slot_list(CK_BBOOL token_present, CK_SLOT_ID_PTR slots, CK_ULONG_PTR count) {
  State& s = state();
  if (const Fault f = s.before(info_C_GetSlotList, 0); f.rv != CKR_OK) return f.rv;
  if (token_present && s.removed()) {
    *count = 0;
    return CKR_OK;
  }
  return s.real->C_GetSlotList(token_present, slots, count);
}

CK_RV get_function_list(CK_FUNCTION_LIST_PTR_PTR out);

// Loads the real module named by P11FAULTY_MODULE and builds our list over its list.
CK_RV load() {
  State& s = state();
  const char* real_path = std::getenv("P11FAULTY_MODULE");
  if (real_path == nullptr || *real_path == '\0') {
    std::fprintf(stderr, "libp11faulty: P11FAULTY_MODULE (the real module) is not set\n");
    return CKR_GENERAL_ERROR;
  }
  void* handle = ::dlopen(real_path, RTLD_NOW | RTLD_LOCAL);
  auto get_list = handle
                      ? reinterpret_cast<CK_C_GetFunctionList>(::dlsym(handle, "C_GetFunctionList"))
                      : nullptr;
  if (get_list == nullptr || get_list(&s.real) != CKR_OK || s.real == nullptr) {
    std::fprintf(stderr, "libp11faulty: cannot load %s: %s\n", real_path,
                 handle ? "no function list" : ::dlerror());
    return CKR_GENERAL_ERROR;
  }
  s.list.version = s.real->version;
#define P11F_FORWARD(fn, scope) \
  s.list.fn = &Forward<decltype(s.list.fn)>::call<&CK_FUNCTION_LIST::fn, info_##fn>;
  P11F_FUNCTIONS(P11F_FORWARD)
#undef P11F_FORWARD
  s.list.C_GetFunctionList = get_function_list;
  s.list.C_OpenSession = open_session;
  s.list.C_CloseSession = close_session;
  s.list.C_CloseAllSessions = close_all_sessions;
  s.list.C_Initialize = initialize;
  s.list.C_Finalize = finalize;
  s.list.C_Login = login;
  s.list.C_Sign = sign;
  s.list.C_GetSlotList = get_slot_list;
  return CKR_OK;
}

CK_RV get_function_list(CK_FUNCTION_LIST_PTR_PTR out) {
  static const CK_RV loaded = load();
  if (loaded != CKR_OK) return loaded;
  if (out == nullptr) return CKR_ARGUMENTS_BAD;
  *out = &state().list;
  return CKR_OK;
}

}  // namespace
}  // namespace p11faulty

extern "C" __attribute__((visibility("default"))) CK_RV C_GetFunctionList(
    CK_FUNCTION_LIST_PTR_PTR list) {
  return p11faulty::get_function_list(list);
}
