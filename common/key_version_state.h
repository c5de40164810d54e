#pragma once
// The state of one version of a key (daemon/keystore/key_versions.h tells the whole model): shared
// by the daemon, which answers with it, and the token layer, which stores it in the key's version
// record.

#include <optional>
#include <string_view>

namespace p11signd {

enum class VersionState { kPending, kActive, kRetiring, kRetired };

// "pending", "active", "retiring", "retired".
inline constexpr std::string_view to_string(VersionState state) {
  switch (state) {
    case VersionState::kPending:
      return "pending";
    case VersionState::kActive:
      return "active";
    case VersionState::kRetiring:
      return "retiring";
    case VersionState::kRetired:
      return "retired";
  }
  return "retired";
}

inline std::optional<VersionState> parse_version_state(std::string_view text) {
  for (auto state : {VersionState::kPending, VersionState::kActive, VersionState::kRetiring,
                     VersionState::kRetired}) {
    if (to_string(state) == text) return state;
  }
  return std::nullopt;
}

// Whether a version in this state is published (JWKS) and accepted by verify: all but retired.
inline bool is_published(VersionState state) { return state != VersionState::kRetired; }

}  // namespace p11signd
