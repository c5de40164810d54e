#include "daemon/keystore/token_keystore.h"

#include "common/encoding.h"
#include "pkcs11/certificate.h"
#include "pkcs11/key_generation.h"
#include "pkcs11/signer.h"

namespace p11signd::daemon {
namespace {

using pkcs11::ErrorCategory;

KeyInfo to_key_info(const pkcs11::ResolvedKey& k) {
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
  return info;
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
    return translated([&] { return signer_.sign(key.name, req, data, key.fingerprint_sha256); });
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
  for (const auto& [name, key] : snapshot->keys) out.push_back(to_key_info(key));
  return out;
}

std::optional<KeyInfo> TokenKeyStore::key(const std::string& name) const {
  const auto set = token_->keys().snapshot();
  const auto it = set->keys.find(name);
  if (it == set->keys.end()) return std::nullopt;
  return to_key_info(it->second);
}

std::optional<std::string> TokenKeyStore::certificate_pem(const KeyRef& key) const {
  const std::string& name = key.name;
  require_version_one(key);
  return translated([&] { return pkcs11::read_certificate(*token_, name); });
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
  return to_key_info(token_->add_key(spec));
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
      return pkcs11::make_self_signed_certificate(*token_, {key.name, key.fingerprint_sha256},
                                                  subject, days, replace);
    } catch (const pkcs11::CertificateExists&) {  // in the API's words: it names the field
      throw StoreError(StoreErrorKind::kConflict, certificate_exists(key.name));
    }
  });
}

std::string TokenKeyStore::make_csr(const KeyRef& key, const std::string& subject) {
  return translated([&] {
    return pkcs11::make_certificate_request(*token_, {key.name, key.fingerprint_sha256}, subject);
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

// Until versions are stored, a name has exactly one version: the key the configuration names.
void TokenKeyStore::require_version_one(const KeyRef& key) const {
  if (key.version && *key.version != 1) {
    throw StoreError(StoreErrorKind::kNotFound,
                     "key '" + key.name + "' has no version " + std::to_string(*key.version));
  }
}

std::vector<KeyInfo> TokenKeyStore::versions(const std::string& name) const {
  auto info = key(name);
  if (!info) throw StoreError(StoreErrorKind::kNotFound, "no key named '" + name + "'");
  return {*info};
}

namespace {
[[noreturn]] void versions_not_stored() {
  throw StoreError(StoreErrorKind::kInternal, "this store does not keep key versions yet");
}
}  // namespace

KeyInfo TokenKeyStore::rotate(const std::string&, const std::optional<KeyShape>&) {
  versions_not_stored();
}
KeyInfo TokenKeyStore::rotate_import(const std::string&, std::string&) { versions_not_stored(); }
KeyInfo TokenKeyStore::activate(const std::string&, unsigned) { versions_not_stored(); }
KeyInfo TokenKeyStore::retire(const std::string&, unsigned) { versions_not_stored(); }
void TokenKeyStore::destroy(const std::string&, unsigned) { versions_not_stored(); }
KeyInfo TokenKeyStore::set_version_settings(const std::string&, unsigned, const VersionSettings&) {
  versions_not_stored();
}

}  // namespace p11signd::daemon
