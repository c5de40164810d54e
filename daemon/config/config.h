#pragma once
// The daemon's configuration: the INI file of docs/configuration.md, read with
// Boost.Program_options and then validated by hand so that every problem is reported at once (one
// line each), not only the first.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "daemon/keystore/keystore.h"

namespace p11signd::daemon {

struct DaemonSettings {
  std::string socket = "/run/p11signd/p11signd.sock";
  unsigned socket_mode = 0660;
  // The socket file's group, set before listen() like socket_mode; unset: the daemon's own group.
  // The clients' group (p11signd-clients), never the daemon's: that one may read /etc/p11signd.
  std::optional<gid_t> socket_gid;
  unsigned workers = 0;  // 0: one per CPU core (capped by KeyStore::max_sessions())
  unsigned queue_limit = 1024;
  // How long an idle worker keeps polling the queue before it sleeps (daemon/server/spin.h). 0: at
  // once.
  std::chrono::microseconds spin{50};
  std::size_t max_request_bytes = 65536;
  std::chrono::milliseconds request_timeout{5000};
  // Added to the original set of options: how long a client may take to send one request (408
  // after), how long an idle keep-alive connection is kept, and how many connections are served at
  // once.
  std::chrono::milliseconds read_timeout{10000};
  std::chrono::milliseconds idle_timeout{60000};
  unsigned max_connections = 1024;
  // Fair share (daemon/access/peer_limits.h): what one uid may hold of the connections, and of the
  // requests being read, queued or signed.
  unsigned max_connections_per_uid = 512;
  unsigned max_requests_per_uid = 256;
  std::string audit_log = "-";
  // The [key.NAME] whose key signs the audit log's checkpoints; empty: they are written unsigned.
  std::string audit_key;
  // A checkpoint after this many records or seconds, whichever comes first (0: not by that).
  std::uint64_t audit_checkpoint_records = 1000;
  std::chrono::seconds audit_checkpoint_interval{60};
  std::vector<uid_t> admin_uids{0};
  std::vector<gid_t> admin_gids;
  std::string
      health_key;  // key used for the health test signature; empty: the first configured key
  // /v1/health warns when an active version's certificate expires within this many days (0: never).
  unsigned certificate_warning_days = 30;
};

struct TokenSettings {
  std::string module = "/usr/lib/softhsm/libsofthsm2.so";
  std::string uri;
  std::string pin_file;
  std::string pin_credential;
  unsigned max_sessions = 0;  // 0: as many as the token allows
};

struct KeyConfig {
  KeySpec spec;
  std::vector<uid_t> allow_uids;
  std::vector<gid_t> allow_gids;
  // The schemes the key signs for. None unless listed: "raw" signs any bytes at all, so it is
  // never assumed.
  std::vector<std::string> schemes;
  // Scheme settings such as "mypos.sid", kept verbatim for the scheme registry.
  std::map<std::string, std::string> settings;
};

struct PeerConfig {
  std::string name;
  std::string scheme;
  std::string certificate;  // path, or empty
  std::string public_key;   // path, or empty
};

struct Config {
  std::string path;  // the file it was read from (re-read on SIGHUP); empty when built in memory
  DaemonSettings daemon;
  TokenSettings token;
  std::map<std::string, KeyConfig> keys;  // by API name, sorted
  std::map<std::string, PeerConfig> peers;
  // Where the file set each section and option ("key.shop", "key.shop.schemes") for the first
  // time, so that later checks can name the line.
  std::map<std::string, std::size_t> lines;

  std::vector<KeySpec> key_specs() const;
  // "PATH:LINE: " for a section or option the file set; "" for one it did not.
  std::string location(const std::string& name) const;
};

struct ConfigResult {
  Config config;
  std::vector<std::string> problems;  // empty when the configuration is usable
  bool ok() const { return problems.empty(); }
};

// Parses INI text (the file's contents) without touching the file system beyond user/group lookups.
ConfigResult parse_config_text(const std::string& text, const std::string& path = "");
// Reads and parses the file, then checks the files it refers to (PIN file readable, peer keys
// readable).
ConfigResult load_config(const std::string& path);
// File checks alone: the PIN file and peer certificates/public keys are readable.
std::vector<std::string> check_referenced_files(const Config& config);
// What is allowed but probably not meant, one line each: a key that lists no scheme or no peer
// signs nothing. Printed at start, on reload and by --check-config; never a reason to refuse.
std::vector<std::string> config_warnings(const Config& config);

}  // namespace p11signd::daemon
