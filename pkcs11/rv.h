#pragma once
// Every CK_RV becomes an Error at one boundary (Module::call). An Error carries the CKR_ name, the
// PKCS#11 function that returned it, and a category the caller acts on - the recovery model of
// docs/architecture.md.

#include <stdexcept>
#include <string>
#include <string_view>

#include "pkcs11/cryptoki.h"

namespace p11signd::pkcs11 {

enum class ErrorCategory {
  kSessionLost,   // the session is gone: close it, open another, retry once
  kLoginLost,     // CKR_USER_NOT_LOGGED_IN: log in again once, retry once
  kHandlesStale,  // object handles no longer valid: re-resolve the keys, retry once
  kTokenLost,     // device or token failure: re-initialise the module with backoff; fail fast
                  // meanwhile
  kUnavailable,   // the token is recovering or out of sessions: try later (maps to 503)
  kBadInput,   // the request itself is wrong (bad algorithm, bad PEM, bad subject): never retried
  kNotFound,   // no such key (by name in the registry, or by label/id on the token)
  kConflict,   // the label or name is already taken
  kRefused,    // the key or token refuses this use (extractable key, wrong PIN, locked PIN): never
               // retried
  kNotActive,  // a signature pinned to a key version that is no longer the active one
  kPermanent,  // anything else the token reports: never retried
};

std::string_view to_string(ErrorCategory c);

// The CKR_ name of rv ("CKR_PIN_INCORRECT"), or "CKR_0x..." for vendor codes.
std::string rv_name(CK_RV rv);
ErrorCategory categorize(CK_RV rv);

class Error : public std::runtime_error {
 public:
  // An error the token returned: the message names the function and the CKR_ code.
  Error(std::string_view function, CK_RV rv);
  // The same, with what was being done in front: "login to token 'x': C_Login failed:
  // CKR_PIN_INCORRECT".
  Error(const std::string& context, std::string_view function, CK_RV rv);
  // cause with what was being done in front ("activating key 'shop' version 2: C_SetAttributeValue
  // failed: ..."); category and CK_RV stay cause's.
  Error(const std::string& context, const Error& cause);
  // An error found in this layer (no CK_RV involved).
  Error(ErrorCategory category, const std::string& message);

  ErrorCategory category() const { return category_; }
  CK_RV rv() const { return rv_; }  // CKR_OK when the error did not come from the token

 private:
  ErrorCategory category_;
  CK_RV rv_ = CKR_OK;
};

}  // namespace p11signd::pkcs11
