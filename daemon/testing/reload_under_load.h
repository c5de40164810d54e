#pragma once
// Signing while reloads swap a key name between two keys with opposite access rules, for the tests
// of reload atomicity (the fake store in daemon_test, the SoftHSM token in daemon_token_test).

#include <string>

#include "common/bytes.h"
#include "daemon/testing/test_support.h"

namespace p11signd::daemon::testing {

// What every answer to "sign with key NAME" was, while reloads alternated between `allowed` (NAME
// is key A, and this process's uid may use it) and `refused` (NAME is key B, and this uid may
// not).
struct ReloadOutcome {
  int signed_by_allowed_key = 0;  // 200, verifies under A: admitted by the rule that allows A
  int signed_by_other_key = 0;    // 200, verifies under B (or neither): a key and a rule mixed
  int refused = 0;                // 403: admitted by no rule
  int key_changed = 0;            // 409: admitted for A, A gone by the time a worker took it
  int other = 0;                  // anything else (counted as a failure by the callers)
  int reloads = 0;                // that succeeded
};

struct ReloadUnderLoad {
  std::string key;               // the name clients sign with
  std::string allowed_sections;  // configuration 1
  std::string refused_sections;  // configuration 2
  Bytes allowed_spki;            // SPKI DER of key A
  int clients = 8;
  int reloads = 40;
};

// Clients sign with `key` on their own connections until the reloads are done; every 200 is
// verified. The daemon starts from whichever configuration it was given and is left in
// `allowed_sections`.
ReloadOutcome sign_while_reloading(TestDaemon& daemon, const ReloadUnderLoad& plan);

}  // namespace p11signd::daemon::testing
