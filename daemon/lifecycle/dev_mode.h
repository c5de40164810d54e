#pragma once
// `p11signd --dev`: everything a developer needs in one directory, so that a fresh machine goes
// from `scripts/dev` to a signature in a minute. The directory holds its own SoftHSM configuration
// and token, random PINs (mode 0600), an RSA-2048 key named `demo`, and a generated p11signd.conf;
// the daemon then starts from that file exactly as in production. A second start reuses the token
// and the key.

#include <filesystem>
#include <string>

namespace p11signd::daemon {

struct DevEnvironment {
  std::filesystem::path dir;
  std::filesystem::path config_path;  // DIR/p11signd.conf
  std::filesystem::path socket;       // DIR/p11signd.sock, as first written into p11signd.conf
  std::string moved_note;  // non-empty when DIR had been moved or copied and its files were updated
};

inline constexpr const char* kDevTokenLabel = "p11signd-dev";
inline constexpr const char* kDevKeyName = "demo";
// Signs the audit log's checkpoints ([daemon] audit-key); no client may use it.
inline constexpr const char* kDevAuditKeyName = "audit";
// An ECDSA P-256 key beside the RSA demo key, for ES256 JWS and raw ECDSA signatures.
inline constexpr const char* kDevEcKeyName = "demo-ec";

// Creates or reuses dir (following it when it was moved or copied: moved_note). Sets SOFTHSM2_CONF
// for this process (SoftHSM reads its configuration from there and nowhere else). Throws
// std::runtime_error or pkcs11::Error naming the step that failed.
DevEnvironment prepare_dev_environment(const std::filesystem::path& dir,
                                       const std::string& softhsm_module);

// The lines printed once the daemon listens on `socket` (the configuration's, which the developer
// may have edited): where it is and a curl command that returns a signature.
std::string dev_banner(const DevEnvironment& env, const std::string& socket);

}  // namespace p11signd::daemon
