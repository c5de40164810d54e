#pragma once
// Key versions: a configured key NAME is a list of key pairs on the token, numbered 1, 2, 3...,
// each with a state. Exactly one version is active (it signs); a pending one is published ahead of
// its activation; a retiring one still verifies and is still published; a retired one does
// neither and may be destroyed. A key configured the old way (no versions made yet) is version 1,
// active. The states live on the token, so they survive restarts and reloads and a second daemon
// on the same token reads them; the operator never edits the configuration to rotate.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/key_shape.h"
#include "common/key_version_state.h"

namespace p11signd::daemon {

struct KeyInfo;

// VersionState, to_string, parse_version_state and is_published live in common/ (the token layer
// stores the states too); named here so that daemon::VersionState keeps working.
using p11signd::is_published;
using p11signd::parse_version_state;
using p11signd::VersionState;

// What a provider assigns to one key pair, by scheme setting name ("amazonpay.public-key-id",
// "wechatpay.serial-no", "mypos.key-index", "jws.kid", ...). They override the [key.NAME]
// settings of the configuration for the version that signs.
using VersionSettings = std::map<std::string, std::string>;

// Admin operations on a key's versions. Every one is serialised inside the store and changes the
// state on the token in one step (a reader sees the states before or after, never between).
// Errors are StoreError: kNotFound (no such key or version), kConflict (the state does not allow
// the operation, e.g. destroying a version that is not retired), kBadInput, kUnavailable.
class KeyVersionAdmin {
 public:
  virtual ~KeyVersionAdmin() = default;

  // Generates the next version on the token, pending, sensitive and non-extractable. No shape: the
  // active version's (same type and size).
  virtual KeyInfo rotate(const std::string& name, const std::optional<KeyShape>& shape) = 0;
  // Imports a private key as the next version, pending. pem is wiped by the store after use.
  virtual KeyInfo rotate_import(const std::string& name, std::string& pem) = 0;
  // pending or retiring -> active; the version that was active becomes retiring, in the same step.
  virtual KeyInfo activate(const std::string& name, unsigned version) = 0;
  // pending or retiring -> retired. The active version cannot be retired (activate another first).
  virtual KeyInfo retire(const std::string& name, unsigned version) = 0;
  // Deletes a retired version's key pair and certificate from the token.
  virtual void destroy(const std::string& name, unsigned version) = 0;
  // Replaces a version's settings (an empty value removes that setting).
  virtual KeyInfo set_version_settings(const std::string& name, unsigned version,
                                       const VersionSettings& settings) = 0;
};

}  // namespace p11signd::daemon
