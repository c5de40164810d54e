#include "daemon/keystore/make_keystore.h"

#include <algorithm>
#include <iostream>
#include <thread>

#include "daemon/keystore/token_keystore.h"
#include "daemon/lifecycle/dev_mode.h"
#include "pkcs11/secret.h"

namespace p11signd::daemon {

pkcs11::TokenConfig token_config_for(const Config& config) {
  pkcs11::TokenConfig out;
  out.module_path = config.token.module;
  out.uri = config.token.uri;
  if (!config.token.pin_credential.empty()) {
    out.read_pin = [name = config.token.pin_credential] {
      return pkcs11::read_pin_credential(name);
    };
  } else {
    out.read_pin = [path = config.token.pin_file] { return pkcs11::read_pin_file(path); };
  }
  // One session per worker: more would sit idle, fewer would make workers wait for each other. The
  // audit checkpoints sign on one more of their own (worker_count() leaves it to them).
  out.max_sessions = config.token.max_sessions ? config.token.max_sessions : config.daemon.workers;
  if (config.token.max_sessions == 0 && !config.daemon.audit_key.empty()) {
    const unsigned workers = config.daemon.workers
                                 ? config.daemon.workers
                                 : std::max(1u, std::thread::hardware_concurrency());
    out.max_sessions = workers + 1;
  }
  for (const KeySpec& spec : config.key_specs()) out.keys.push_back(to_token_spec(spec));
  // Another daemon on the same token may activate a version: this one stops signing with the old
  // one within this time (docs/architecture.md, "Key versions on the token"). Reading the records
  // is one find and a few small reads.
  out.version_refresh = kVersionRefresh;
  return out;
}

std::unique_ptr<KeyStore> make_keystore(const Config& config) {
  try {
    return std::make_unique<TokenKeyStore>(pkcs11::Token::open(token_config_for(config)));
  } catch (const pkcs11::Error& e) {
    throw to_store_error(e);
  }
}

DevEnvironment prepare_dev_mode(const DevOptions& options) {
  DevEnvironment env = prepare_dev_environment(options.dir, options.softhsm_module);
  std::cerr << env.moved_note << std::flush;
  return env;
}

}  // namespace p11signd::daemon
