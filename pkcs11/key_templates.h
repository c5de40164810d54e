#pragma once
// What every key the daemon creates on the token shares, generated (key_generation.cc) or imported
// (key_import.cc): the attribute policy, the hardening a token may refuse, and the checks made
// before anything is created.

#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/sign_alg.h"
#include "pkcs11/attributes.h"
#include "pkcs11/key_registry.h"
#include "pkcs11/module.h"

namespace p11signd::pkcs11 {

// 16 random bytes for a CKA_ID.
Bytes fresh_id();

// Throws Error(kBadInput) for an empty label, kConflict when a private key already has it.
void require_label_free(const Module& module, CK_SESSION_HANDLE session, const std::string& label);

// Stored, private, sensitive, never extractable, sign only.
void add_private_key_policy(Template& t, const std::string& label, ByteView id);
void add_public_key_policy(Template& t, KeyType type, const std::string& label, ByteView id);

// What a token may not know (CKA_ALLOWED_MECHANISMS is PKCS#11 2.40) or may refuse: asked for, and
// left out again with a log line when the token rejects the template (create_hardened()).
void add_private_key_hardening(Template& t, KeyType type);
void add_public_key_hardening(Template& t);

// The codes a token answers for an attribute it does not support or will not set at creation.
bool template_refused(CK_RV rv);

// Runs create(true) (hardened template); when the token refuses that template, says so in the log
// and runs create(false). Throws Error for any other failure.
template <typename Create>
void create_hardened(const Module& module, std::string_view function, const std::string& label,
                     Create create) {
  CK_RV rv = create(true);
  if (template_refused(rv)) {
    module.log(std::string("pkcs11: ") + std::string(function) + " refused " + rv_name(rv) +
               " for key '" + label +
               "' with CKA_ALLOWED_MECHANISMS, CKA_SIGN_RECOVER = false and CKA_MODIFIABLE = "
               "false; trying without them (the token's defaults apply)");
    rv = create(false);
  }
  if (rv != CKR_OK) module.fail(function, rv);
}

// The spec that finds a new key by its id.
KeySpec spec_for(const std::string& name, ByteView id);

}  // namespace p11signd::pkcs11
