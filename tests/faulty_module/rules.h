#pragma once
// The control file of libp11faulty.so: one rule per line, '#' starts a comment.
//
//   fail FUNCTION CKR_NAME [count=N] [for=MS]   FUNCTION returns CKR_NAME instead of its answer
//   delay FUNCTION MS [count=N] [for=MS]        FUNCTION waits MS first (a hang is a long delay)
//   max-sessions N                              C_OpenSession says CKR_SESSION_COUNT past N open
//   restart                                     the token restarts: every open session is dead and
//                                               the user logged out until the next C_Login
//   remove MS                                   the token is pulled out for MS (a restart, then no
//                                               token in its slot) and comes back
//
// FUNCTION is a C_ name or '*' (every call but C_Initialize, C_Finalize, C_GetInfo,
// C_GetFunctionList). count= limits a rule to its first N matching calls, for= to a window that
// opens when the file is read. Rules are re-read whenever the file changes, so a test writes a new
// file (rename over the old one) to start a fault and an empty one to end it.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pkcs11/cryptoki.h"

namespace p11faulty {

struct Rule {
  enum class Kind { kFail, kDelay };
  Kind kind = Kind::kFail;
  std::string function;                // "C_Sign", or "*"
  CK_RV rv = CKR_OK;                   // kFail
  std::chrono::milliseconds delay{0};  // kDelay
  std::optional<long> count;           // matching calls left
  std::optional<std::chrono::milliseconds> window;
};

struct Rules {
  std::vector<Rule> rules;
  std::optional<unsigned long> max_sessions;
  bool restart = false;
  std::optional<std::chrono::milliseconds> remove;
};

// Parses the whole control file. Throws std::invalid_argument naming the line and the problem.
Rules parse_rules(const std::string& text);

// CKR_ name (or 0x hex) to its value; nullopt when unknown.
std::optional<CK_RV> rv_from_name(const std::string& name);

}  // namespace p11faulty
