#pragma once
// Maps a method and request target onto a route, with no socket in sight (unit-tested on strings).
// Unknown paths are 404, known paths with another method 405 with the Allow list.

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/server/http.h"

namespace p11signd::daemon {

enum class RouteId {
  kHealth,
  kListKeys,
  kPublicKey,
  kGetCertificate,
  kSign,
  kVerify,
  kListSchemes,
  kSchemeOp,  // POST /v1/schemes/SCHEME/OP (sign, verify, or a scheme's own operation)
  kCreateKey,
  kImportKey,
  kMakeCertificate,
  kMakeCsr,
  kMetrics,
  kListVersions,
  kJwks,
  kRotateKey,  // POST /v1/keys/KEY/versions
  kActivateVersion,
  kRetireVersion,
  kDestroyVersion,   // DELETE /v1/keys/KEY/versions/VERSION
  kVersionSettings,  // PUT /v1/keys/KEY/versions/VERSION/settings
};

struct RouteMatch {
  RouteId id;
  std::string name;  // the route's label in metrics, e.g. "/v1/keys/{key}/sign"
  std::string key;
  std::string scheme;
  std::string op;
  std::string version;  // as the path writes it; the route parses it
  std::map<std::string, std::string> query;
  bool admin = false;  // admin peers only
};

struct RouteResult {
  std::optional<RouteMatch> match;
  http::status error = http::status::ok;  // 404 or 405 when there is no match
  std::string allow;                      // for 405
};

RouteResult route(http::verb method, std::string_view target);

}  // namespace p11signd::daemon
