#pragma once
// The seam between the daemon and the scheme registry (schemes/). The daemon does HTTP, access
// rules, the worker pool and audit; a SchemeRoutes turns a scheme's JSON input into bytes to sign
// and shapes the answer, backed by schemes::SchemeRegistry.

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/sign_alg.h"
#include "daemon/config/config.h"
#include "schemes/scheme.h"

namespace p11signd::daemon {

// A configuration's peer keys, read from their files by SchemeRoutes::check(). A reload reads them
// off the event loop and swaps them in with set_peers(), which then does no I/O and cannot fail: a
// peer file replaced in between does not matter.
class LoadedPeers {
 public:
  virtual ~LoadedPeers() = default;
};

struct SchemeCheck {
  std::vector<std::string> problems;  // one line each; empty when the configuration is usable
  std::shared_ptr<const LoadedPeers> peers;  // the peers that could be read
  // Unset settings that every request must then carry itself, one line each; not problems.
  std::vector<std::string> warnings;
};

class SchemeRoutes {
 public:
  using Json = nlohmann::ordered_json;

  virtual ~SchemeRoutes() = default;

  // GET /v1/schemes: every scheme, what its sign and verify need, the key types it signs with.
  virtual Json list() const = 0;
  virtual bool knows(const std::string& scheme) const = 0;
  // The key types the scheme signs (and verifies) with; empty for a scheme it does not know.
  virtual std::vector<KeyType> key_types(const std::string& scheme) const = 0;
  // The key settings the scheme reads ("amazonpay.public-key-id", ...); empty for an unknown one.
  virtual std::vector<std::string> known_settings(const std::string& scheme) const = 0;
  // "sign" or one of the scheme's own actions (amazonpay: "button-signature").
  virtual bool signs_with(const std::string& scheme, const std::string& op) const = 0;
  // Runs on a worker; sign makes the signatures. Throws ApiError (400/422) for bad input.
  virtual Json run(const std::string& scheme, const std::string& op, const Json& input,
                   const std::map<std::string, std::string>& settings,
                   const schemes::SigningKey& sign) const = 0;
  // Verification with a configured [peer.NAME], or with a key's public key (key_spki set).
  virtual Json verify(const std::string& scheme, const Json& input, const std::string& peer,
                      const std::optional<Bytes>& key_spki) const = 0;

  // --check-config and reload: peers loadable, scheme names known, key settings valid. Reads the
  // peer files; touches nothing set_peers() changes, so a reload may call it on its own thread.
  virtual SchemeCheck check(const Config& config) const = 0;
  // Swaps in peers that check() read (null: none).
  virtual void set_peers(std::shared_ptr<const LoadedPeers> peers) = 0;
};

std::unique_ptr<SchemeRoutes> make_scheme_routes();

}  // namespace p11signd::daemon
