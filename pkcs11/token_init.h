#pragma once
// Initialising a token from nothing, for `p11signd --dev` and tests: production tokens are
// initialised by their owners with the vendor's tools. Uses the first slot whose token is not
// initialised yet (SoftHSM always offers one such slot).

#include <string>

#include "pkcs11/module.h"
#include "pkcs11/secret.h"

namespace p11signd::pkcs11 {

// True when a token with this label is initialised in the module.
bool token_label_exists(const std::string& module_path, const std::string& label);

// C_InitToken with so_pin and label, then C_InitPIN with user_pin. Throws Error naming the step.
void initialize_token(const std::string& module_path, const std::string& label,
                      const Secret& so_pin, const Secret& user_pin);

}  // namespace p11signd::pkcs11
