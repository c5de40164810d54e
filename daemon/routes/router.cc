#include "daemon/routes/router.h"

#include <array>
#include <vector>

namespace p11signd::daemon {
namespace {

struct Pattern {
  http::verb method;
  std::string_view path;  // "{key}", "{scheme}", "{op}" and "{version}" are parameters
  RouteId id;
  bool admin;
};

constexpr std::array kPatterns = {
    Pattern{http::verb::get, "/v1/health", RouteId::kHealth, false},
    Pattern{http::verb::get, "/v1/keys", RouteId::kListKeys, false},
    Pattern{http::verb::post, "/v1/keys", RouteId::kCreateKey, true},
    Pattern{http::verb::post, "/v1/keys/import", RouteId::kImportKey, true},
    Pattern{http::verb::get, "/v1/keys/{key}/public-key", RouteId::kPublicKey, false},
    Pattern{http::verb::get, "/v1/keys/{key}/certificate", RouteId::kGetCertificate, false},
    Pattern{http::verb::post, "/v1/keys/{key}/certificate", RouteId::kMakeCertificate, true},
    Pattern{http::verb::post, "/v1/keys/{key}/csr", RouteId::kMakeCsr, true},
    Pattern{http::verb::post, "/v1/keys/{key}/sign", RouteId::kSign, false},
    Pattern{http::verb::post, "/v1/keys/{key}/verify", RouteId::kVerify, false},
    Pattern{http::verb::get, "/v1/keys/{key}/versions", RouteId::kListVersions, false},
    Pattern{http::verb::post, "/v1/keys/{key}/versions", RouteId::kRotateKey, true},
    Pattern{http::verb::post, "/v1/keys/{key}/versions/{version}/activate",
            RouteId::kActivateVersion, true},
    Pattern{http::verb::post, "/v1/keys/{key}/versions/{version}/retire", RouteId::kRetireVersion,
            true},
    Pattern{http::verb::delete_, "/v1/keys/{key}/versions/{version}", RouteId::kDestroyVersion,
            true},
    Pattern{http::verb::put, "/v1/keys/{key}/versions/{version}/settings",
            RouteId::kVersionSettings, true},
    Pattern{http::verb::get, "/v1/keys/{key}/jwks", RouteId::kJwks, false},
    Pattern{http::verb::get, "/v1/schemes", RouteId::kListSchemes, false},
    Pattern{http::verb::post, "/v1/schemes/{scheme}/{op}", RouteId::kSchemeOp, false},
    Pattern{http::verb::get, "/metrics", RouteId::kMetrics, false},
};

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t start = 1;
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    parts.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

// Names in paths are restricted to [A-Za-z0-9_-], so nothing needs percent-decoding.
bool valid_segment(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  return true;
}

// Fills the parameters of m; false when the path does not fit the pattern.
bool match_path(std::string_view pattern, const std::vector<std::string_view>& parts,
                RouteMatch& m) {
  const auto want = split_path(pattern);
  if (want.size() != parts.size()) return false;
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (want[i].front() == '{') {
      if (!valid_segment(parts[i])) return false;
      std::string value(parts[i]);
      if (want[i] == "{key}") m.key = value;
      if (want[i] == "{scheme}") m.scheme = value;
      if (want[i] == "{op}") m.op = value;
      if (want[i] == "{version}") m.version = value;
    } else if (want[i] != parts[i]) {
      return false;
    }
  }
  return true;
}

std::map<std::string, std::string> parse_query(std::string_view q) {
  std::map<std::string, std::string> out;
  std::size_t start = 0;
  while (start < q.size()) {
    auto end = q.find('&', start);
    if (end == std::string_view::npos) end = q.size();
    auto item = q.substr(start, end - start);
    auto eq = item.find('=');
    if (eq == std::string_view::npos) {
      out[std::string(item)] = "";
    } else {
      out[std::string(item.substr(0, eq))] = std::string(item.substr(eq + 1));
    }
    start = end + 1;
  }
  return out;
}

}  // namespace

RouteResult route(http::verb method, std::string_view target) {
  RouteResult result;
  const auto qpos = target.find('?');
  const auto path = target.substr(0, qpos);
  if (path.empty() || path.front() != '/') {
    result.error = http::status::not_found;
    return result;
  }
  const auto parts = split_path(path);
  for (const auto& p : kPatterns) {
    RouteMatch m;
    if (!match_path(p.path, parts, m)) continue;
    if (p.method != method) {
      if (!result.allow.empty()) result.allow += ", ";
      result.allow += std::string(http::to_string(p.method));
      continue;
    }
    m.id = p.id;
    m.name = std::string(p.path);
    m.admin = p.admin;
    if (qpos != std::string_view::npos) m.query = parse_query(target.substr(qpos + 1));
    result.match = std::move(m);
    return result;
  }
  result.error = result.allow.empty() ? http::status::not_found : http::status::method_not_allowed;
  return result;
}

}  // namespace p11signd::daemon
