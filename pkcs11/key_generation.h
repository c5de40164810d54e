#pragma once
// Creating keys on the token: generated inside it (C_GenerateKeyPair) or imported from a PEM a
// merchant already registered with a provider. Both leave the private key sensitive and
// non-extractable, with sign-only usage. Both run under Token::with_admin_session, so key creation
// is serialised.

#include <string>

#include "common/bytes.h"
#include "common/key_shape.h"
#include "pkcs11/key_registry.h"
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

}  // namespace p11signd::pkcs11
