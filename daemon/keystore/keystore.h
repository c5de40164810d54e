#pragma once
// The daemon's view of the token: a small interface (as gokeyless keeps its Keystore), so that
// routes, ACLs and the server are tested against a fake and the real PKCS#11 token is plugged in at
// one place (token_keystore.cc). Everything here is by configured key NAME; PKCS#11 handles never
// cross this line.

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "common/bytes.h"
#include "common/key_shape.h"
#include "common/sign_alg.h"
#include "daemon/keystore/key_versions.h"

namespace p11signd::daemon {

// What the HTTP layer needs to pick a status code.
enum class StoreErrorKind {
  kBadInput,     // 400/422: the request cannot be done as asked (bad PEM, bad bits, bad subject...)
  kNotFound,     // 404: no such key, or no certificate for it
  kConflict,     // 409: a key with that name or label already exists
  kUnavailable,  // 503: token down, recovering, or no session free
  kDenied,       // 403: the key exists but refuses the operation (e.g. extractable and not allowed)
  kNotActive,    // the version a signature was pinned to is no longer the active one (an activation
                 // happened meanwhile): the caller starts again with the new active version
  kInternal,     // 500: anything else; the message still says what failed
};

class StoreError : public std::runtime_error {
 public:
  StoreError(StoreErrorKind kind, const std::string& message)
      : std::runtime_error(message), kind_(kind) {}
  StoreErrorKind kind() const { return kind_; }

 private:
  StoreErrorKind kind_;
};

struct KeyInfo {
  std::string name;    // the configured name ([key.NAME])
  std::string label;   // CKA_LABEL
  std::string id_hex;  // CKA_ID, lowercase hex
  KeyType type = KeyType::kRsa;
  unsigned bits = 0;                // modulus size; the curve's size for EC keys (Ed25519: 256)
  bool generated_on_token = false;  // CKA_LOCAL: false for imported keys
  bool extractable = false;
  bool sensitive = true;
  Bytes spki_der;                  // SubjectPublicKeyInfo, DER
  std::string fingerprint_sha256;  // hex SHA-256 of spki_der
  // Which version of the name this pair is (docs/operations.md "Rotating a key").
  unsigned version = 1;
  VersionState state = VersionState::kActive;
  std::string created;       // RFC 3339 UTC; empty for a version 1 made before versions existed
  VersionSettings settings;  // the provider's per-version settings (override [key.NAME] ones)
};

// How the configuration names a key on the token (one [key.NAME] section). Added by the daemon
// work.
struct KeySpec {
  std::string name;                // the API name
  std::string label;               // CKA_LABEL, or empty when id_hex is set
  std::string id_hex;              // CKA_ID as hex, or empty when label is set
  bool allow_extractable = false;  // accept a key with CKA_EXTRACTABLE true or CKA_SENSITIVE false
};

struct TokenStatus {
  bool ok = false;
  std::string token_label;
  std::string state;   // "ready", "recovering", "down"
  std::string reason;  // why, when not ok
  unsigned long recoveries =
      0;  // times the store re-initialised the token (metrics); added by the daemon work
};

// The key a request was admitted for: its name, and the fingerprint the key under that name had
// when the access rule was checked. A reload may give the name another key meanwhile; the session
// then refuses (StoreError kConflict) rather than sign with a key the rule was not checked for.
struct KeyRef {
  // Implicit from a name: callers that want no check (health, tools, tests) pass the name alone.
  KeyRef(std::string key_name, std::string fingerprint = {})
      : name(std::move(key_name)), fingerprint_sha256(std::move(fingerprint)) {}
  KeyRef(const char* key_name) : name(key_name) {}
  KeyRef(std::string key_name, std::string fingerprint, unsigned key_version)
      : name(std::move(key_name)),
        fingerprint_sha256(std::move(fingerprint)),
        version(key_version) {}
  std::string name;
  std::string fingerprint_sha256;  // empty: whichever key the name has now (health, tools)
  // Empty: the active version at the moment of use. Set: exactly that version; a signature then
  // also requires it to be still active (StoreError kNotActive otherwise), so a request whose
  // canonical string named version N (its kid, its provider key ID) is never signed by another.
  std::optional<unsigned> version;
};

// One signing session; owned by exactly one worker thread at a time (PKCS#11 sessions are not
// thread safe).
class SigningSession {
 public:
  virtual ~SigningSession() = default;
  // Throws StoreError. data may be empty or large (1 MiB and more).
  virtual Bytes sign(const KeyRef& key, const SignRequest& req, ByteView data) = 0;
};

// The refusal to replace a key's certificate without "replace": true, as every store words it.
inline std::string certificate_exists(const std::string& name) {
  return "key '" + name +
         "' already has a certificate; send \"replace\": true to replace it (a provider may have "
         "issued the one stored)";
}

class KeyStore : public KeyVersionAdmin {
 public:
  virtual ~KeyStore() = default;

  virtual std::unique_ptr<SigningSession> open_session() = 0;
  // The most sessions the token allows this daemon (config and token limits); the worker pool is
  // sized by it.
  virtual unsigned max_sessions() const = 0;

  virtual std::vector<KeyInfo> keys() const = 0;
  // The active version of a name.
  virtual std::optional<KeyInfo> key(const std::string& name) const = 0;
  // Every version of a name, oldest first. Throws StoreError(kNotFound) for an unknown key.
  virtual std::vector<KeyInfo> versions(const std::string& name) const = 0;
  // PEM of the certificate stored beside the key (the active version, or key.version), if any.
  // Throws StoreError(kNotFound) for an unknown key or version.
  virtual std::optional<std::string> certificate_pem(const KeyRef& key) const = 0;

  // Admin operations. Key creation is serialised inside the store.
  // shape: RSA 2048/3072/4096, EC P-256/P-384 or Ed25519 (an unsigned alone is an RSA size).
  virtual KeyInfo generate_key(const std::string& name, const std::string& label,
                               const KeyShape& shape) = 0;
  // pem is wiped by the store after use.
  virtual KeyInfo import_key(const std::string& name, const std::string& label,
                             std::string& pem) = 0;
  // Stores the certificate beside the key. A key that already has one keeps it unless replace is
  // true: StoreError(kConflict) then, before anything is signed.
  // Both sign with the key on the token: with key.fingerprint_sha256 set, only if the name still
  // has that key (StoreError kConflict otherwise).
  virtual std::string make_certificate(const KeyRef& key, const std::string& subject, unsigned days,
                                       bool replace) = 0;
  virtual std::string make_csr(const KeyRef& key, const std::string& subject) = 0;

  virtual TokenStatus status() const = 0;

  // Replaces the set of named keys: at start and on every SIGHUP reload. Keys made by
  // generate_key() and import_key() stay named unless specs name them (the file took them over);
  // the store decides that under the lock that publishes a new key, so a reload never loses one
  // created at the same moment. Resolves every spec on the token first; if any fails (not found,
  // ambiguous, extractable without allow_extractable) throws StoreError whose message names every
  // failing key, one per line, and keeps the previous set untouched. Safe to call while sessions
  // sign (sessions look names up per call).
  virtual void set_keys(const std::vector<KeySpec>& specs) = 0;
};

}  // namespace p11signd::daemon
