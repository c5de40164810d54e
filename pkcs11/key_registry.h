#pragma once
// Keys by configured name. A KeySpec says how to find a key on the token (label or CKA_ID);
// resolving it finds the private key handle and reads the public key once. The resolved set is an
// immutable snapshot: refreshing builds a new one and publishes it atomically, so signers never see
// half of a refresh and never wait for one.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/key_version_state.h"
#include "common/sign_alg.h"
#include "pkcs11/cryptoki.h"
#include "pkcs11/module.h"

namespace p11signd::pkcs11 {

struct KeySpec {
  std::string name;                // the name in the API
  std::string label;               // CKA_LABEL; empty when id is used
  Bytes id;                        // CKA_ID; empty when label is used
  bool allow_extractable = false;  // accept keys with CKA_EXTRACTABLE true or CKA_SENSITIVE false
  bool added = false;  // by Token::add_key(): replace_keys() keeps it unless its specs name it
};

struct ResolvedKey {
  KeySpec spec;
  CK_OBJECT_HANDLE private_key = CK_INVALID_HANDLE;
  std::string label;
  Bytes id;
  KeyType type = KeyType::kRsa;
  unsigned bits = 0;              // the modulus size; the curve's size for EC keys (Ed25519: 256)
  Bytes modulus;                  // RSA only
  Bytes public_exponent;          // RSA only
  std::size_t signature_len = 0;  // what C_Sign returns: the modulus length, or r||s, or 64
  // CKA_ALLOWED_MECHANISMS; empty when the token does not say (then every mechanism is allowed).
  std::vector<CK_MECHANISM_TYPE> allowed_mechanisms;
  Bytes spki_der;
  std::string fingerprint_sha256;
  bool local = false;  // CKA_LOCAL: generated on the token (false: imported)
  bool extractable = false;
  bool sensitive = true;
  bool never_extractable = false;
};

// One version of a configured key (version_record.h): its number, state, creation time and
// settings from the key's version record, and its key pair. A key without a record has one version:
// 1, active, with no settings.
struct KeyVersion {
  unsigned number = 1;
  VersionState state = VersionState::kActive;
  std::string created;
  std::map<std::string, std::string> settings;
  ResolvedKey key;
};

struct KeySet {
  std::uint64_t epoch = 0;                  // the token epoch the handles belong to
  std::map<std::string, ResolvedKey> keys;  // the active version of each name
  // Every version of each name in keys, oldest first; published with keys in one snapshot, so the
  // state a signer checks and the handle it signs with come from the same moment.
  std::map<std::string, std::vector<KeyVersion>> versions;
  // The serial of the version record each name's versions were read from (0: none): a refresh
  // resolves a key again only when its record on the token has another.
  std::map<std::string, std::uint64_t> record_serials;
  std::map<std::string, std::string> unresolved;  // name -> why it could not be used
  // The category shared by every unresolved key (kBadInput when they differ), for callers that
  // refuse the whole set: a missing key stays kNotFound, an extractable one kRefused.
  ErrorCategory unresolved_category = ErrorCategory::kBadInput;

  // One Error listing every unresolved key, one line each.
  Error unresolved_error() const;
};

// Whether key may be used with mechanism (its CKA_ALLOWED_MECHANISMS, when the token keeps one).
bool mechanism_allowed(const ResolvedKey& key, CK_MECHANISM_TYPE mechanism);

// Finds and checks one key: RSA, EC on P-256 or P-384, or Ed25519. Throws Error (kBadInput: not
// found, ambiguous or of another type; kRefused: extractable
// and not allowed; anything the token says).
ResolvedKey resolve_key(const Module& module, CK_SESSION_HANDLE session, const KeySpec& spec);

// Resolves every spec with all its versions (version_resolution.h); keys that fail are listed in
// unresolved with the reason.
KeySet resolve_keys(const Module& module, CK_SESSION_HANDLE session,
                    const std::vector<KeySpec>& specs, std::uint64_t epoch);

// Checks a spec before it touches a token: a name, and exactly one of label and id.
void validate_spec(const KeySpec& spec);

// Holds the published snapshot. Readers compare generation() (one atomic load) with the one they
// cached and take the mutex only when it changed.
class KeyRegistry final {
 public:
  explicit KeyRegistry(std::vector<KeySpec> specs);

  std::vector<KeySpec> specs() const;
  std::shared_ptr<const KeySet> snapshot() const;
  std::uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

  void publish(std::shared_ptr<const KeySet> set, std::vector<KeySpec> specs);
  void publish(std::shared_ptr<const KeySet> set);

 private:
  mutable std::mutex mutex_;
  std::vector<KeySpec> specs_;
  std::shared_ptr<const KeySet> set_;
  std::atomic<std::uint64_t> generation_{0};
};

}  // namespace p11signd::pkcs11
