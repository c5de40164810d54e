#include "daemon/routes/active_version.h"

namespace p11signd::daemon {

KeyInfo resolve_active(const KeyStore& store, const std::string& key,
                       const std::string& admitted_fingerprint) {
  const auto versions = store.versions(key);
  bool admitted = admitted_fingerprint.empty();
  const KeyInfo* active = nullptr;
  for (const auto& v : versions) {
    if (v.fingerprint_sha256 == admitted_fingerprint) admitted = true;
    if (v.state == VersionState::kActive) active = &v;
  }
  if (!admitted) {
    throw StoreError(StoreErrorKind::kConflict,
                     "key '" + key +
                         "' was given another key by a reload after this request was admitted; "
                         "send it again");
  }
  if (!active) {
    throw StoreError(StoreErrorKind::kInternal, "key '" + key + "' has no active version");
  }
  return *active;
}

}  // namespace p11signd::daemon
