#include "daemon/routes/scheme_key_types.h"

#include <algorithm>

namespace p11signd::daemon {
namespace {

// "RSA keys only", "RSA, EC P-256, EC P-384 or Ed25519 keys".
std::string type_list(const std::vector<KeyType>& types) {
  std::string out;
  for (std::size_t i = 0; i < types.size(); ++i) {
    if (i > 0) out += i + 1 == types.size() ? " or " : ", ";
    out += to_string(types[i]);
  }
  return out + (types.size() == 1 ? " keys only" : " keys");
}

}  // namespace

std::optional<std::string> key_type_refusal(const SchemeRoutes& schemes, const std::string& scheme,
                                            const std::string& key, KeyType type) {
  const auto types = schemes.key_types(scheme);
  if (std::find(types.begin(), types.end(), type) != types.end()) return std::nullopt;
  return "scheme '" + scheme + "' signs with " + type_list(types) + "; key '" + key + "' is an " +
         std::string(to_string(type)) + " key";
}

std::vector<std::string> key_type_problems(const Config& config, const KeyStore& store,
                                           const SchemeRoutes& schemes) {
  std::vector<std::string> problems;
  for (const auto& [name, k] : config.keys) {
    const auto info = store.key(name);
    if (!info) continue;
    const std::string section = "key." + name;
    for (const auto& scheme : k.schemes) {
      if (!schemes.knows(scheme)) continue;  // check_names() reports it
      if (auto refusal = key_type_refusal(schemes, scheme, name, info->type)) {
        problems.push_back(config.location(section + ".schemes") + "[" + section +
                           "] schemes: " + *refusal);
      }
    }
  }
  return problems;
}

}  // namespace p11signd::daemon
