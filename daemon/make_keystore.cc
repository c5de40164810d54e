// HOOK for the token layer: replace the bodies below with the PKCS#11 store
// (daemon/token_keystore.*) and the dev-mode set-up. Nothing else in daemon/ needs to change:
// main() calls only these two functions.
#include "daemon/make_keystore.h"

#include <iostream>

namespace p11signd::daemon {

std::unique_ptr<KeyStore> make_keystore(const Config& config) {
  throw StoreError(
      StoreErrorKind::kUnavailable,
      "this build has no PKCS#11 keystore yet (daemon/token_keystore.cc), cannot open " +
          config.token.uri);
}

int run_dev_mode(const DevOptions& options) {
  std::cerr << "p11signd: --dev (dir " << options.dir
            << ") needs the PKCS#11 keystore, which this build does not have yet\n";
  return 1;
}

}  // namespace p11signd::daemon
