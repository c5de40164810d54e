#include "daemon/keystore/token_keystore.h"

#include "common/encoding.h"
#include "pkcs11/certificate.h"
#include "pkcs11/key_generation.h"
#include "pkcs11/key_versions.h"
#include "pkcs11/signer.h"

namespace p11signd::daemon {
namespace {

using pkcs11::ErrorCategory;

KeyInfo to_key_info(const pkcs11::KeyVersion& v) {
  const pkcs11::ResolvedKey& k = v.key;
  KeyInfo info;
  info.name = k.spec.name;
  info.label = k.label;
  info.id_hex = hex_encode(k.id);
  info.type = k.type;
  info.bits = k.bits;
  info.generated_on_token = k.local;
  info.extractable = k.extractable;
  info.sensitive = k.sensitive;
  info.spki_der = k.spki_der;
  info.fingerprint_sha256 = k.fingerprint_sha256;
  info.version = v.number;
  info.state = v.state;
  info.created = v.created;
  info.settings = v.settings;
  return info;
}

// The active version of name in set, if the set has the name.
std::optional<KeyInfo> active_info(const pkcs11::KeySet& set, const std::string& name) {
  const auto it = set.versions.find(name);
  if (it == set.versions.end()) return std::nullopt;
  for (const auto& v : it->second) {
    if (v.state == VersionState::kActive) return to_key_info(v);
  }
  return std::nullopt;
}

// Runs f and turns a pkcs11::Error into a StoreError.
template <typename F>
auto translated(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const pkcs11::Error& e) {
    throw to_store_error(e);
  }
}

class TokenSigningSession final : public SigningSession {
 public:
  explicit TokenSigningSession(pkcs11::Token& token) : signer_(token) {}
  Bytes sign(const KeyRef& key, const SignRequest& req, ByteView data) override {
    return translated(
        [&] { return signer_.sign(key.name, req, data, key.fingerprint_sha256, key.version); });
  }

 private:
  pkcs11::Signer signer_;
};

}  // namespace

StoreError to_store_error(const pkcs11::Error& e) {
  switch (e.category()) {
    case ErrorCategory::kNotFound:
      return StoreError(StoreErrorKind::kNotFound, e.what());
    case ErrorCategory::kConflict:
      return StoreError(StoreErrorKind::kConflict, e.what());
    case ErrorCategory::kRefused:
      return StoreError(StoreErrorKind::kDenied, e.what());
    case ErrorCategory::kBadInput:
      return StoreError(StoreErrorKind::kBadInput, e.what());
    case ErrorCategory::kNotActive:
      return StoreError(StoreErrorKind::kNotActive, e.what());
    case ErrorCategory::kSessionLost:
    case ErrorCategory::kLoginLost:
    case ErrorCategory::kHandlesStale:
    case ErrorCategory::kTokenLost:
    case ErrorCategory::kUnavailable:
      return StoreError(StoreErrorKind::kUnavailable, e.what());
    case ErrorCategory::kPermanent:
      break;
  }
  return StoreError(StoreErrorKind::kInternal, e.what());
}

pkcs11::KeySpec to_token_spec(const KeySpec& spec) {
  pkcs11::KeySpec out;
  out.name = spec.name;
  out.label = spec.label;
  out.allow_extractable = spec.allow_extractable;
  if (!spec.id_hex.empty()) {
    auto id = hex_decode(spec.id_hex);
    if (!id) {
      throw StoreError(StoreErrorKind::kBadInput,
                       "key '" + spec.name + "': id '" + spec.id_hex + "' is not hex");
    }
    out.id = std::move(*id);
  }
  return out;
}

TokenKeyStore::TokenKeyStore(std::unique_ptr<pkcs11::Token> token) : token_(std::move(token)) {}
TokenKeyStore::~TokenKeyStore() = default;

std::unique_ptr<SigningSession> TokenKeyStore::open_session() {
  return translated([&] { return std::make_unique<TokenSigningSession>(*token_); });
}

unsigned TokenKeyStore::max_sessions() const { return token_->session_limit(); }

std::vector<KeyInfo> TokenKeyStore::keys() const {
  std::vector<KeyInfo> out;
  // Held in a variable: a range-for over a temporary's member would not keep the snapshot alive
  // (before C++23) while keys are replaced concurrently.
  const auto snapshot = token_->keys().snapshot();
  for (const auto& [name, key] : snapshot->keys) {
    if (auto info = active_info(*snapshot, name)) out.push_back(std::move(*info));
  }
  return out;
}

std::optional<KeyInfo> TokenKeyStore::key(const std::string& name) const {
  return active_info(*token_->keys().snapshot(), name);
}

std::vector<KeyInfo> TokenKeyStore::versions(const std::string& name) const {
  const auto set = token_->keys().snapshot();
  const auto it = set->versions.find(name);
  if (it == set->versions.end()) {
    throw StoreError(StoreErrorKind::kNotFound, "no key named '" + name + "'");
  }
  std::vector<KeyInfo> out;
  for (const auto& v : it->second) out.push_back(to_key_info(v));
  return out;
}

std::optional<std::string> TokenKeyStore::certificate_pem(const KeyRef& key) const {
  return translated([&] { return pkcs11::read_certificate(*token_, key.name, key.version); });
}

void TokenKeyStore::require_new_name(const std::string& name) const {
  for (const auto& spec : token_->keys().specs()) {
    if (spec.name == name) {
      throw StoreError(StoreErrorKind::kConflict, "a key named '" + name + "' already exists");
    }
  }
}

// Puts a key the admin just created into the running registry under its name.
KeyInfo TokenKeyStore::add_created_key(const pkcs11::KeySpec& spec) {
  token_->add_key(spec);
  if (auto info = key(spec.name)) return std::move(*info);
  throw StoreError(StoreErrorKind::kInternal, "key '" + spec.name + "' vanished as it was added");
}

KeyInfo TokenKeyStore::generate_key(const std::string& name, const std::string& label,
                                    const KeyShape& shape) {
  const std::lock_guard lock(create_mutex_);
  require_new_name(name);
  return translated([&] {
    return add_created_key(pkcs11::generate_key(*token_, name, {label, {}}, shape));
  });
}

KeyInfo TokenKeyStore::import_key(const std::string& name, const std::string& label,
                                  std::string& pem) {
  pkcs11::Secret secret(std::move(pem));  // wipes pem now, and the copy when it goes
  const std::lock_guard lock(create_mutex_);
  require_new_name(name);
  return translated([&] {
    return add_created_key(pkcs11::import_key(*token_, name, {label, {}}, std::move(secret)));
  });
}

std::string TokenKeyStore::make_certificate(const KeyRef& key, const std::string& subject,
                                            unsigned days, bool replace) {
  return translated([&] {
    try {
      return pkcs11::make_self_signed_certificate(
          *token_, {key.name, key.fingerprint_sha256, key.version}, subject, days, replace);
    } catch (const pkcs11::CertificateExists&) {  // in the API's words: it names the field
      throw StoreError(StoreErrorKind::kConflict, certificate_exists(key.name));
    }
  });
}

std::string TokenKeyStore::make_csr(const KeyRef& key, const std::string& subject) {
  return translated([&] {
    return pkcs11::make_certificate_request(
        *token_, {key.name, key.fingerprint_sha256, key.version}, subject);
  });
}

TokenStatus TokenKeyStore::status() const {
  TokenStatus s;
  const auto state = token_->state();
  s.ok = state == pkcs11::TokenState::kReady;
  s.token_label = token_->description().label;
  s.state = std::string(pkcs11::to_string(state));
  s.reason = token_->state_reason();
  s.recoveries = token_->recoveries();
  return s;
}

void TokenKeyStore::set_keys(const std::vector<KeySpec>& specs) {
  std::vector<pkcs11::KeySpec> token_specs;
  for (const auto& spec : specs) token_specs.push_back(to_token_spec(spec));
  translated([&] {
    token_->replace_keys(std::move(token_specs));
    return 0;
  });
}

// The version as the snapshot has it now (just after the change that made or moved it).
KeyInfo TokenKeyStore::version_info(const std::string& name, unsigned number) const {
  for (auto& info : versions(name)) {
    if (info.version == number) return info;
  }
  throw StoreError(StoreErrorKind::kNotFound,
                   "key '" + name + "' has no version " + std::to_string(number));
}

KeyInfo TokenKeyStore::rotate(const std::string& name, const std::optional<KeyShape>& shape) {
  const std::lock_guard lock(create_mutex_);
  const unsigned number = translated([&] { return pkcs11::rotate_version(*token_, name, shape); });
  return version_info(name, number);
}

KeyInfo TokenKeyStore::rotate_import(const std::string& name, std::string& pem) {
  pkcs11::Secret secret(std::move(pem));  // wipes pem now, and the copy when it goes
  const std::lock_guard lock(create_mutex_);
  const unsigned number =
      translated([&] { return pkcs11::rotate_import_version(*token_, name, std::move(secret)); });
  return version_info(name, number);
}

KeyInfo TokenKeyStore::activate(const std::string& name, unsigned version) {
  const std::lock_guard lock(create_mutex_);
  translated([&] {
    pkcs11::activate_version(*token_, name, version);
    return 0;
  });
  return version_info(name, version);
}

KeyInfo TokenKeyStore::retire(const std::string& name, unsigned version) {
  const std::lock_guard lock(create_mutex_);
  translated([&] {
    pkcs11::retire_version(*token_, name, version);
    return 0;
  });
  return version_info(name, version);
}

void TokenKeyStore::destroy(const std::string& name, unsigned version) {
  const std::lock_guard lock(create_mutex_);
  translated([&] {
    pkcs11::destroy_version(*token_, name, version);
    return 0;
  });
}

KeyInfo TokenKeyStore::set_version_settings(const std::string& name, unsigned version,
                                            const VersionSettings& settings) {
  const std::lock_guard lock(create_mutex_);
  translated([&] {
    pkcs11::set_version_settings(*token_, name, version, settings);
    return 0;
  });
  return version_info(name, version);
}

}  // namespace p11signd::daemon
