#pragma once
// Signing with a key's active version (docs/api.md "Key versions"). A request resolves the active
// version first - a scheme's canonical string may name that version's kid or provider key ID - and
// then signs pinned to it. When an activation comes in between, the store refuses the pinned
// signature (StoreError kNotActive) and the whole request starts again with the new active version;
// only when every attempt lost that race is the answer 409.

#include <string>
#include <utility>

#include "daemon/keystore/keystore.h"

namespace p11signd::daemon {

inline constexpr int kSignAttempts = 3;

// The active version of key as the store has it now. admitted_fingerprint is the key the request's
// access rule was checked for (KeyRef): when no version of the name has it, a reload gave the name
// another key and the request is refused (StoreError kConflict), as a signature would be.
KeyInfo resolve_active(const KeyStore& store, const std::string& key,
                       const std::string& admitted_fingerprint);

// Runs attempt(active KeyInfo) until it does not throw kNotActive, kSignAttempts times at most.
template <typename F>
auto with_active_version(const KeyStore& store, const std::string& key,
                         const std::string& admitted_fingerprint, F&& attempt) {
  for (int n = 1;; ++n) {
    const KeyInfo active = resolve_active(store, key, admitted_fingerprint);
    try {
      return attempt(active);
    } catch (const StoreError& e) {
      if (e.kind() != StoreErrorKind::kNotActive) throw;
      if (n == kSignAttempts) {
        throw StoreError(StoreErrorKind::kNotActive,
                         "key '" + key + "' changed its active version during each of " +
                             std::to_string(kSignAttempts) + " attempts to sign; send it again (" +
                             e.what() + ")");
      }
    }
  }
}

}  // namespace p11signd::daemon
