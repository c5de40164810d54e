#include "schemes/client_assertion_rules.h"

#include <algorithm>
#include <charconv>

#include "schemes/jws.h"

namespace p11signd::schemes {

std::optional<std::int64_t> parse_lifetime(std::string_view text) {
  std::int64_t seconds = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  if (seconds < 1 || seconds > kMaxLifetime) return std::nullopt;
  return seconds;
}

std::string lifetime_rule() {
  return "must be a whole number of seconds from 1 to " + std::to_string(kMaxLifetime) +
         " (default " + std::to_string(kDefaultLifetime) + ")";
}

Json supported_algs() {
  Json algs = Json::array();
  for (const char* alg : {"RS256", "PS256", "ES256", "ES384", "EdDSA"}) {
    if (jws_sign_request(alg)) algs.push_back(alg);
  }
  return algs;
}

bool is_supported_alg(std::string_view alg) {
  const Json algs = supported_algs();
  return std::find(algs.begin(), algs.end(), Json(std::string(alg))) != algs.end();
}

}  // namespace p11signd::schemes
