#pragma once
// The zero-failure switch (docs/operations.md, "Rotating a key"): clients sign continuously while a
// new version of the key is rotated in, activated, and the old one retired. For the fake store in
// daemon_test and the SoftHSM token in daemon_token_test.
//
// What is checked, and why it is sound without comparing clocks: the test process knows the order
// of its own events. A phase counter moves when the admin requests are sent and answered, and each
// client reads it before sending a request and after its answer. So
//  - an answer received before `activate` was sent was signed while the old version was active,
//    and must name it (a pending version never signs);
//  - a request sent after `activate` was answered was signed after the switch, and must name the
//    new version;
//  - one client's requests follow each other, so the versions its answers name never go back.
// The audit log adds the daemon's own order: its lines are numbered (seq, in the hash chain), and
// a sign line of the old version after the activation's line can only be a request that was
// already in flight when the activation happened (sent before its answer), at most one per client.

#include <string>
#include <vector>

#include "common/bytes.h"
#include "daemon/testing/test_support.h"

namespace p11signd::daemon::testing {

struct RotationUnderLoad {
  std::string key = "demo";  // signs for "raw"; the test's uid may use it and administer it
  int clients = 16;
  // Signatures answered between two admin steps (and before the first, after the last), so that
  // every phase is under load.
  int signatures_per_phase = 100;
};

// One answer a client got.
struct SignedAnswer {
  int client = 0;
  std::string data;  // unique per request
  unsigned status = 0;
  unsigned key_version = 0;  // 0: the answer named none
  Bytes signature;
  int phase_sent = 0;      // the phase when the request was sent
  int phase_answered = 0;  // the phase when its answer arrived
};

struct RotationOutcome {
  unsigned old_version = 0;
  unsigned new_version = 0;
  std::vector<SignedAnswer> answers;        // by client, in each client's order
  std::vector<std::string> admin_failures;  // an admin step that did not answer 200/201
};

// Phases, in order: the admin step whose request went out or whose answer came back.
enum RotationPhase {
  kSteady = 0,
  kRotateSent,
  kRotated,
  kActivateSent,
  kActivated,
  kRetireSent,
  kRetired,
};

// Runs the rotation under load and returns every answer.
RotationOutcome sign_while_rotating(TestDaemon& daemon, const RotationUnderLoad& plan);

// Every property above that does not hold, one line each (empty: the switch was clean). spki_of
// gives the public key (DER) of a version of plan.key; audit_records are the daemon's audit lines.
std::vector<std::string> rotation_problems(const RotationOutcome& outcome, const Bytes& old_spki,
                                           const Bytes& new_spki,
                                           const std::vector<nlohmann::json>& audit_records,
                                           const std::string& key);

}  // namespace p11signd::daemon::testing
