#pragma once
// Whether a key's type (RSA, EC P-256, EC P-384, Ed25519) suits the schemes it is used for: most
// providers take RSA only (schemes::Scheme::key_types()). Known only once the store has resolved
// the key on the token, so checked at --check-config, start and reload after KeyStore::set_keys(),
// and again for each request (a key created or replaced meanwhile).

#include <optional>
#include <string>
#include <vector>

#include "common/sign_alg.h"
#include "daemon/config/config.h"
#include "daemon/keystore/keystore.h"
#include "daemon/routes/routes_schemes.h"

namespace p11signd::daemon {

// Why key (of this type) cannot be used with scheme, naming the key's type and the types the
// scheme takes; nullopt when it can.
std::optional<std::string> key_type_refusal(const SchemeRoutes& schemes, const std::string& scheme,
                                            const std::string& key, KeyType type);

// One line for each scheme a configured key lists that cannot use the key's type, as
// --check-config words a problem ("FILE:LINE: [key.NAME] schemes: ..."). Keys the store does not
// hold are left to set_keys(), which names them.
std::vector<std::string> key_type_problems(const Config& config, const KeyStore& store,
                                           const SchemeRoutes& schemes);

}  // namespace p11signd::daemon
