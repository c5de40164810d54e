#pragma once
// Creating keys on the token: generated inside it (C_GenerateKeyPair) or imported from a PEM a
// merchant already registered with a provider. Both leave the private key sensitive and
// non-extractable, with sign-only usage. Both run under Token::with_admin_session, so key creation
// is serialised.

#include <string>

#include "common/bytes.h"
#include "common/key_shape.h"
#include "pkcs11/key_registry.h"
#include "pkcs11/public_key.h"
#include "pkcs11/secret.h"
#include "pkcs11/token.h"

namespace p11signd::pkcs11 {

struct NewKey {
  std::string label;  // CKA_LABEL; must not already name a private key on the token
  Bytes id;           // CKA_ID; random 16 bytes when empty
};

// RSA 2048, 3072 or 4096 bits, EC on P-256 or P-384, or Ed25519. Returns the spec that finds the
// new key (by id). Throws Error(kBadInput) for other RSA sizes or a label already in use.
KeySpec generate_key(Token& token, const std::string& name, const NewKey& key,
                     const KeyShape& shape);

// A private key in PEM: RSA (PKCS#8 or PKCS#1, at least 2048 bits), EC on P-256 or P-384 (PKCS#8
// or SEC1), or Ed25519 (PKCS#8). pem is wiped (whatever happens). The token marks the key CKA_LOCAL
// false, which is how listings tell imported keys from generated ones.
KeySpec import_key(Token& token, const std::string& name, const NewKey& key, Secret pem);

// The same two in steps, for a caller that already holds the admin session (Token::
// with_admin_session) and writes more in the same hold, as a key version's creation does. key.id
// must be set.
void generate_key_pair(const Module& module, CK_SESSION_HANDLE session, const NewKey& key,
                       const KeyShape& shape);
// A private key parsed from PEM (pem wiped at once), written to the token by create(). The parsed
// key stays in memory until this object goes; create() may run again after a recovery.
class KeyToImport final {
 public:
  explicit KeyToImport(Secret pem);  // throws Error(kBadInput) naming what was expected
  ~KeyToImport();
  KeyToImport(const KeyToImport&) = delete;
  KeyToImport& operator=(const KeyToImport&) = delete;

  KeyType type() const { return type_; }
  // Throws Error(kConflict) when the label is taken or the key is already on the token.
  void create(const Module& module, CK_SESSION_HANDLE session, const NewKey& key);

 private:
  EvpPkeyPtr key_;
  KeyType type_ = KeyType::kRsa;
};

}  // namespace p11signd::pkcs11
