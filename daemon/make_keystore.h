#pragma once
// The one place that chooses the KeyStore implementation for the p11signd executable, and the
// dev-mode hook. The token layer's engineer plugs the PKCS#11 store (daemon/token_keystore.*) in
// here; the tests never call this (they build a FakeKeyStore themselves).

#include <memory>
#include <string>

#include "daemon/config.h"
#include "daemon/keystore.h"

namespace p11signd::daemon {

// Opens the token of config.token (module, uri, PIN) and returns the store. Throws StoreError when
// the token cannot be used; the message says why.
std::unique_ptr<KeyStore> make_keystore(const Config& config);

struct DevOptions {
  std::string dir = ".p11signd-dev";
};

// `p11signd --dev`: prepares DIR (SoftHSM configuration, token, PIN, a `demo` key), then serves on
// DIR/p11signd.sock. Returns the exit code.
int run_dev_mode(const DevOptions& options);

}  // namespace p11signd::daemon
