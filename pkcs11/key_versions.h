#pragma once
// Admin operations on the versions of a configured key (the model: daemon/keystore/key_versions.h;
// the record: version_record.h). Each runs under the token's admin lock (Token::change_versions):
// it reads the key's record from the token itself, not from the snapshot (another daemon on the
// same token may have changed it), checks the change, writes the record once, then publishes the
// key's versions again. When the write fails, nothing changes: not the token's record, not the
// snapshot, and a key pair made for the change is destroyed again. Errors (Error) name the key and
// the version: kNotFound (no such key or version), kConflict (the state does not allow it, or a
// label is taken), kBadInput.

#include <map>
#include <optional>
#include <string>

#include "common/key_shape.h"
#include "pkcs11/secret.h"
#include "pkcs11/token.h"

namespace p11signd::pkcs11 {

// A new version, pending, generated on the token: shape, or the active version's type and size.
// Its CKA_ID is 16 random bytes, its label version 1's label (else the name) + ".vN". Returns N.
// The first rotation writes the key's record; until then a key has none and is version 1, active.
unsigned rotate_version(Token& token, const std::string& name,
                        const std::optional<KeyShape>& shape);
// The same with a private key from PEM (wiped); kConflict when it is already on the token.
unsigned rotate_import_version(Token& token, const std::string& name, Secret pem);

// pending or retiring -> active; the active one becomes retiring, in the same write.
void activate_version(Token& token, const std::string& name, unsigned number);
// pending or retiring -> retired.
void retire_version(Token& token, const std::string& name, unsigned number);
// A retired version: its private and public key objects and its certificates are destroyed, then
// it leaves the record (a destroy interrupted in between leaves a retired entry without a key
// pair, which readers take as destroyed).
void destroy_version(Token& token, const std::string& name, unsigned number);
// Replaces the version's settings; a setting with an empty value is left out.
void set_version_settings(Token& token, const std::string& name, unsigned number,
                          const std::map<std::string, std::string>& settings);

}  // namespace p11signd::pkcs11
