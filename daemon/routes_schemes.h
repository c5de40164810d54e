#pragma once
// The seam between the daemon and the scheme registry (schemes/). The daemon does HTTP, access
// rules, the worker pool and audit; a SchemeRoutes turns a scheme's JSON input into bytes to sign
// and shapes the answer. With schemes/ built in (P11SIGND_HAVE_SCHEMES) it is backed by
// schemes::SchemeRegistry; without, only the daemon's own "raw" scheme exists.

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/sign_alg.h"
#include "daemon/config.h"

namespace p11signd::daemon {

class SchemeRoutes {
 public:
  using Json = nlohmann::ordered_json;
  using SignFn = std::function<Bytes(const SignRequest&, ByteView)>;

  virtual ~SchemeRoutes() = default;

  // GET /v1/schemes: every scheme, what its sign and verify need.
  virtual Json list() const = 0;
  virtual bool knows(const std::string& scheme) const = 0;
  // "sign" or one of the scheme's own actions (amazonpay: "button-signature").
  virtual bool signs_with(const std::string& scheme, const std::string& op) const = 0;
  // Runs on a worker; sign makes the signatures. Throws ApiError (400/422) for bad input.
  virtual Json run(const std::string& scheme, const std::string& op, const Json& input,
                   const std::map<std::string, std::string>& settings,
                   const SignFn& sign) const = 0;
  // Verification with a configured [peer.NAME], or with a key's public key (key_spki set).
  virtual Json verify(const std::string& scheme, const Json& input, const std::string& peer,
                      const std::optional<Bytes>& key_spki) const = 0;

  // --check-config and reload: peers loadable, scheme names known, key settings valid. One line
  // each.
  virtual std::vector<std::string> check(const Config& config) const = 0;
  // Loads the peers of a configuration that check() accepted.
  virtual void set_peers(const Config& config) = 0;
};

std::unique_ptr<SchemeRoutes> make_scheme_routes();

}  // namespace p11signd::daemon
