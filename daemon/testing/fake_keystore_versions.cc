// FakeKeyStore's key versions (daemon/keystore/key_versions.h): every operation changes the states
// under the store's lock, so a reader or a signature sees them before or after, never between.
#include <ctime>
#include <optional>
#include <string>
#include <utility>

#include "common/encoding.h"
#include "daemon/testing/fake_keystore.h"

namespace p11signd::daemon {
namespace {

std::string now_rfc3339() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string version_text(const std::string& name, unsigned version) {
  return "version " + std::to_string(version) + " of key '" + name + "'";
}

StoreError state_conflict(const std::string& name, unsigned version, VersionState state,
                          const std::string& what) {
  return StoreError(StoreErrorKind::kConflict, version_text(name, version) + " is " +
                                                   std::string(to_string(state)) + ": " + what);
}

}  // namespace

KeyInfo FakeKeyStore::add_version(const std::string& name, SharedEvpPkey key, bool local) {
  std::lock_guard lock(mu_);
  throw_if_down_locked();
  const auto family = family_locked(name);
  const TokenKey& first = *family.front();
  const unsigned next = family.back()->version + 1;
  TokenKey k =
      make_token_key(first.family + "-v" + std::to_string(next), std::move(key), false, local);
  k.id_hex = first.id_hex + hex_encode(Bytes{static_cast<std::uint8_t>(next)});
  k.family = first.family;
  k.version = next;
  k.state = VersionState::kPending;
  k.created = now_rfc3339();
  token_.push_back(std::move(k));
  return info_locked(name, token_.back());
}

KeyInfo FakeKeyStore::rotate(const std::string& name, const std::optional<KeyShape>& shape) {
  KeyShape same(2048);
  if (!shape) {
    const auto active = key(name);
    if (!active) throw StoreError(StoreErrorKind::kNotFound, "no key named '" + name + "'");
    same.type = active->type;
    same.bits = active->bits;
  }
  return add_version(name, generate_key_of(shape.value_or(same)), true);
}

KeyInfo FakeKeyStore::rotate_import(const std::string& name, std::string& pem) {
  return add_version(name, read_private_key(pem), false);
}

KeyInfo FakeKeyStore::activate(const std::string& name, unsigned version) {
  std::lock_guard lock(mu_);
  throw_if_down_locked();
  TokenKey& next = version_locked({name, "", version});
  if (next.state == VersionState::kActive || next.state == VersionState::kRetired) {
    throw state_conflict(name, version, next.state,
                         next.state == VersionState::kActive
                             ? "it signs already"
                             : "a retired version never signs again; rotate to make a new one");
  }
  version_locked(KeyRef(name)).state = VersionState::kRetiring;
  next.state = VersionState::kActive;
  return info_locked(name, next);
}

KeyInfo FakeKeyStore::retire(const std::string& name, unsigned version) {
  std::lock_guard lock(mu_);
  throw_if_down_locked();
  TokenKey& k = version_locked({name, "", version});
  if (k.state == VersionState::kActive) {
    throw state_conflict(name, version, k.state, "activate another version first");
  }
  if (k.state == VersionState::kRetired) {
    throw state_conflict(name, version, k.state, "it is retired already");
  }
  k.state = VersionState::kRetired;
  return info_locked(name, k);
}

void FakeKeyStore::destroy(const std::string& name, unsigned version) {
  std::lock_guard lock(mu_);
  throw_if_down_locked();
  const TokenKey& k = version_locked({name, "", version});
  if (k.state != VersionState::kRetired) {
    throw state_conflict(name, version, k.state, "only a retired version can be destroyed");
  }
  token_.remove_if([&k](const TokenKey& each) { return &each == &k; });
}

KeyInfo FakeKeyStore::set_version_settings(const std::string& name, unsigned version,
                                           const VersionSettings& settings) {
  std::lock_guard lock(mu_);
  throw_if_down_locked();
  TokenKey& k = version_locked({name, "", version});
  k.settings.clear();
  for (const auto& [setting, value] : settings) {
    if (!value.empty()) k.settings[setting] = value;
  }
  return info_locked(name, k);
}

std::vector<KeyInfo> FakeKeyStore::versions(const std::string& name) const {
  std::lock_guard lock(mu_);
  std::vector<KeyInfo> out;
  for (const TokenKey* k : family_locked(name)) out.push_back(info_locked(name, *k));
  return out;
}

void FakeKeyStore::run_activation_switch() {
  std::optional<std::pair<std::string, unsigned>> pending;
  {
    std::lock_guard hold(hold_mu_);
    pending = std::exchange(activate_before_sign_, std::nullopt);
  }
  if (pending) activate(pending->first, pending->second);
}

}  // namespace p11signd::daemon
