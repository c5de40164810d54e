#include "schemes/http_message.h"

#include <algorithm>

namespace p11signd::schemes {
namespace {

bool is_ows(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

bool same_name(std::string_view a, std::string_view b) { return lowercase(a) == lowercase(b); }

// host[:port] without userinfo, the host lowercased and the scheme's default port left out
// (RFC 9421 2.2.3 normalises @authority this way).
std::string normalise_authority(std::string_view authority, std::string_view scheme) {
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  if (authority.empty()) throw MessageError("the target URI has no host");
  std::string out = lowercase(authority);
  const auto bracket = out.rfind(']');
  const auto colon = out.rfind(':');
  if (colon != std::string::npos && (bracket == std::string::npos || colon > bracket)) {
    const std::string port = out.substr(colon + 1);
    if ((scheme == "https" && port == "443") || (scheme == "http" && port == "80") ||
        port.empty()) {
      out.erase(colon);
    }
  }
  return out;
}

}  // namespace

std::string lowercase(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

TargetUri parse_target_uri(std::string_view uri) {
  const auto sep = uri.find("://");
  if (sep == std::string_view::npos || sep == 0) {
    throw MessageError("the target URI is not absolute (scheme://host/path)");
  }
  for (char c : uri) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      throw MessageError("the target URI holds a space or control character");
    }
  }
  TargetUri out;
  out.scheme = lowercase(uri.substr(0, sep));
  std::string_view rest = uri.substr(sep + 3);
  if (const auto hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  const auto path_start = rest.find_first_of("/?");
  out.authority = normalise_authority(rest.substr(0, path_start), out.scheme);
  std::string_view path_query =
      path_start == std::string_view::npos ? std::string_view() : rest.substr(path_start);
  if (const auto q = path_query.find('?'); q != std::string_view::npos) {
    out.query = std::string(path_query.substr(q + 1));
    path_query = path_query.substr(0, q);
  }
  out.path = path_query.empty() ? "/" : std::string(path_query);
  return out;
}

std::vector<std::string> HttpMessage::field_values(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [n, v] : fields) {
    if (same_name(n, name)) out.emplace_back(trim(v));
  }
  return out;
}

void HttpMessage::set_field(const std::string& name, const std::string& value) {
  std::erase_if(fields, [&](const auto& f) { return same_name(f.first, name); });
  fields.emplace_back(name, value);
}

}  // namespace p11signd::schemes
