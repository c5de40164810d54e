#pragma once
// The one place that chooses the KeyStore implementation for the p11signd executable, and the
// dev-mode set-up. Tests never call these (they build a FakeKeyStore or a TokenKeyStore on a
// throwaway token themselves).

#include <chrono>
#include <memory>
#include <string>

#include "daemon/config/config.h"
#include "daemon/keystore/keystore.h"
#include "daemon/lifecycle/dev_mode.h"
#include "pkcs11/token.h"

namespace p11signd::daemon {

// How often the daemon reads the key version records on the token again (TokenConfig::
// version_refresh).
inline constexpr std::chrono::seconds kVersionRefresh{5};

// What pkcs11::Token::open needs for config.token and config.keys. The PIN is read from pin-file or
// the systemd credential pin-credential each time a login needs it, and wiped after.
pkcs11::TokenConfig token_config_for(const Config& config);

// Opens the token of config.token (module, uri, PIN), resolves every configured key and returns
// the store. Throws StoreError when the token cannot be used; the message says why, and
// kUnavailable means "not now" (see exit_codes.h).
std::unique_ptr<KeyStore> make_keystore(const Config& config);

struct DevOptions {
  std::string dir = ".p11signd-dev";
  std::string softhsm_module;  // the SoftHSM2 module found at build time
};

// `p11signd --dev`: prepares DIR (SoftHSM configuration, token, PINs, a `demo` key, a generated
// p11signd.conf) and returns it; the daemon then starts from DIR/p11signd.conf exactly as in
// production, and prints dev_banner() once it listens. Throws naming the step that failed.
DevEnvironment prepare_dev_mode(const DevOptions& options);

}  // namespace p11signd::daemon
