#pragma once
// p11signd's exit statuses, chosen so that systemd can tell "retrying will not help" from "retry
// later" (systemd/p11signd.service: RestartPreventExitStatus=1 78). Values from sysexits.h.

#include "daemon/keystore/keystore.h"

namespace p11signd::daemon {

inline constexpr int kExitOk = 0;
// An unexpected failure (e.g. the socket is taken by another daemon).
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;  // bad command-line flags (Boost.Program_options' habit)
// The token cannot be reached now (module does not answer, token not present): a network HSM that
// is still starting may be there on the next try, so systemd restarts the service.
inline constexpr int kExitUnavailable = 69;  // EX_UNAVAILABLE
// The configuration, the PIN or a key is wrong: never retried automatically, because every retry
// with a wrong PIN brings a hardware token closer to locking it.
inline constexpr int kExitConfig = 78;  // EX_CONFIG

// The exit status for a store that could not be opened.
inline int exit_code_for(const StoreError& e) {
  return e.kind() == StoreErrorKind::kUnavailable ? kExitUnavailable : kExitConfig;
}

}  // namespace p11signd::daemon
