// The two SchemeRoutes: backed by schemes::SchemeRegistry when schemes/ is built in, else "raw"
// only.
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <set>

#include "common/nearest_name.h"
#include "common/public_key.h"
#include "daemon/routes/routes_schemes.h"
#include "daemon/server/http.h"

#include "schemes/peer_key.h"
#include "schemes/registry.h"

namespace p11signd::daemon {
namespace {

using Json = SchemeRoutes::Json;

// What both variants check: scheme names on keys and peers, and that each key's SCHEME.SETTING
// names a scheme. A wrong name lists the right ones and suggests the nearest.
std::vector<std::string> check_names(const Config& config, const std::vector<std::string>& known,
                                     const std::vector<std::string>& known_settings) {
  const auto is_known = [&known](const std::string& s) {
    return std::find(known.begin(), known.end(), s) != known.end();
  };
  const auto unknown = [&known](const std::string& s) {
    return "unknown scheme '" + s + "'" + did_you_mean(s, known) + "; the schemes are " +
           comma_list(known);
  };
  std::vector<std::string> problems;
  for (const auto& [name, k] : config.keys) {
    const std::string section = "key." + name;
    for (const auto& s : k.schemes) {
      if (!is_known(s)) {
        problems.push_back(config.location(section + ".schemes") + "[" + section +
                           "] schemes: " + unknown(s));
      }
    }
    for (const auto& [setting, value] : k.settings) {
      const std::string scheme = setting.substr(0, setting.find('.'));
      if (is_known(scheme)) continue;
      problems.push_back(config.location(section + "." + setting) + "[" + section + "] " + setting +
                         ": unknown option" + did_you_mean(setting, known_settings) +
                         "; a SCHEME.SETTING names one of the schemes: " + comma_list(known));
    }
  }
  for (const auto& [name, p] : config.peers) {
    if (!p.scheme.empty() && !is_known(p.scheme)) {
      problems.push_back(config.location("peer." + name + ".scheme") + "[peer." + name +
                         "] scheme: " + unknown(p.scheme));
    }
  }
  return problems;
}

Json key_type_names(const std::vector<KeyType>& types) {
  Json names = Json::array();
  for (const KeyType type : types) names.push_back(std::string(to_string(type)));
  return names;
}

// The codes the daemon's own routes use (docs/api.md); the scheme's message already starts with
// the field it is about.
ApiError from_scheme_error(const schemes::SchemeError& e) {
  if (e.kind() == schemes::SchemeErrorKind::kUnprocessable) {
    return {http::status::unprocessable_entity, "invalid_request", e.what()};
  }
  switch (e.problem()) {
    case schemes::FieldProblem::kMissing:
      return {http::status::bad_request, "missing_field", e.what()};
    case schemes::FieldProblem::kUnknown:
      return {http::status::bad_request, "unknown_field", e.what()};
    case schemes::FieldProblem::kWrong:
      break;
  }
  return {http::status::bad_request, "bad_field", e.what()};
}

// The daemon's own fields in a scheme request: the key to sign (or verify) with, or the
// [peer.NAME] to verify with.
const std::vector<std::string> kSignTransport = {"key"};
const std::vector<std::string> kVerifyTransport = {"key", "peer"};

using PeerMap =
    std::map<std::string, std::pair<std::string, schemes::PeerKey>>;  // name -> scheme, key

struct RegistryPeers final : LoadedPeers {
  PeerMap peers;
};

class RegistrySchemeRoutes final : public SchemeRoutes {
 public:
  RegistrySchemeRoutes() { schemes::register_builtin_schemes(registry_); }

  Json list() const override {
    Json out = Json::array();
    for (const auto* s : registry_.list()) {
      Json entry = s->describe();
      entry["name"] = s->name();
      entry["key_types"] = key_type_names(s->key_types());
      out.push_back(entry);
    }
    return out;
  }

  bool knows(const std::string& scheme) const override { return registry_.find(scheme); }

  std::vector<KeyType> key_types(const std::string& scheme) const override {
    const auto* s = registry_.find(scheme);
    return s ? s->key_types() : std::vector<KeyType>{};
  }

  std::vector<std::string> known_settings(const std::string& scheme) const override {
    const auto* s = registry_.find(scheme);
    return s ? s->known_settings() : std::vector<std::string>{};
  }

  bool signs_with(const std::string& scheme, const std::string& op) const override {
    const auto* s = registry_.find(scheme);
    if (!s) return false;
    auto actions = s->actions();
    return op == "sign" || std::find(actions.begin(), actions.end(), op) != actions.end();
  }

  Json run(const std::string& scheme, const std::string& op, const Json& input,
           const std::map<std::string, std::string>& settings,
           const schemes::SigningKey& sign) const override {
    const auto* s = registry_.find(scheme);
    try {
      s->reject_unknown_fields(input, op, kSignTransport);
      return op == "sign" ? s->sign(input, settings, sign)
                          : s->run_action(op, input, settings, sign);
    } catch (const schemes::SchemeError& e) {
      throw from_scheme_error(e);
    }
  }

  Json verify(const std::string& scheme, const Json& input, const std::string& peer,
              const std::optional<Bytes>& key_spki) const override {
    const auto* s = registry_.find(scheme);
    try {
      s->reject_unknown_fields(input, "verify", kVerifyTransport);
      if (key_spki) return s->verify(input, schemes::PeerKey::from_spki_der(*key_spki));
      const PeerMap none;
      const PeerMap& peers = peers_ ? peers_->peers : none;
      auto it = peers.find(peer);
      if (it == peers.end()) {
        throw ApiError(http::status::not_found, "peer_not_found", "no peer named '" + peer + "'");
      }
      if (it->second.first != scheme) {
        throw ApiError(http::status::unprocessable_entity, "invalid_request",
                       "peer '" + peer + "' is for scheme '" + it->second.first + "'");
      }
      return s->verify(input, it->second.second);
    } catch (const schemes::SchemeError& e) {
      throw from_scheme_error(e);
    }
  }

  SchemeCheck check(const Config& config) const override {
    std::vector<std::string> names, settings;
    for (const auto* scheme : registry_.list()) {
      names.push_back(scheme->name());
      for (auto& setting : scheme->known_settings()) settings.push_back(std::move(setting));
    }
    auto problems = check_names(config, names, settings);
    std::vector<std::string> warnings;
    for (const auto& [name, k] : config.keys) {
      const std::string section = "key." + name;
      // Every setting, whether or not the key lists its scheme: a misspelling is never meant.
      for (const auto& setting : k.settings) {
        for (const auto* scheme : registry_.list()) {
          for (const auto& p : scheme->unknown_settings({setting})) {
            problems.push_back(config.location(section + "." + setting.first) + "[" + section +
                               "] " + p);
          }
        }
      }
      for (const auto& s : k.schemes) {
        if (const auto* scheme = registry_.find(s)) {
          for (const auto& p : scheme->check_settings(k.settings)) {
            problems.push_back(setting_location(config, section, p) + "[" + section + "] " + p);
          }
          for (const auto& w : scheme->unset_fallbacks(k.settings)) {
            warnings.push_back(setting_location(config, section, w) + "[" + section + "] " + w);
          }
        }
      }
    }
    auto loaded = std::make_shared<RegistryPeers>();
    for (const auto& [name, p] : config.peers) {
      try {
        auto key = load_peer(p);
        if (auto wrong = wrong_peer_type(p.scheme, key)) {
          problems.push_back(config.location("peer." + name) + "[peer." + name + "]: " + *wrong);
          continue;
        }
        loaded->peers.emplace(name, std::pair{p.scheme, std::move(key)});
      } catch (const std::exception& e) {
        problems.push_back(config.location("peer." + name) + "[peer." + name + "]: " + e.what());
      }
    }
    return {std::move(problems), std::move(loaded), std::move(warnings)};
  }

  void set_peers(std::shared_ptr<const LoadedPeers> peers) override {
    peers_ = std::static_pointer_cast<const RegistryPeers>(std::move(peers));
  }

 private:
  // A scheme's problem starts with the setting it is about ("mypos.sid: ..."): that setting's
  // line, or the section's when the setting is missing.
  static std::string setting_location(const Config& config, const std::string& section,
                                      const std::string& problem) {
    const std::string setting = problem.substr(0, problem.find(':'));
    const std::string at = config.location(section + "." + setting);
    return at.empty() ? config.location(section) : at;
  }

  // A provider's key of a type its scheme never verifies with (an EC key for mypos) could only
  // ever answer "invalid": refused where the file says so.
  std::optional<std::string> wrong_peer_type(const std::string& scheme,
                                             const schemes::PeerKey& key) const {
    const auto* s = registry_.find(scheme);
    if (!s) return std::nullopt;  // check_names() reports it
    const auto types = s->key_types();
    if (std::find(types.begin(), types.end(), key.type()) != types.end()) return std::nullopt;
    std::string names;
    for (const KeyType t : types) names += (names.empty() ? "" : ", ") + std::string(to_string(t));
    return "the key is " + std::string(to_string(key.type())) + "; scheme '" + scheme +
           "' verifies with " + names + " keys only";
  }

  static schemes::PeerKey load_peer(const PeerConfig& p) {
    return schemes::PeerKey::from_file(p.certificate.empty() ? p.public_key : p.certificate);
  }

  schemes::SchemeRegistry registry_;
  std::shared_ptr<const RegistryPeers> peers_;  // only ever from this class's check()
};
}  // namespace

std::unique_ptr<SchemeRoutes> make_scheme_routes() {
  return std::make_unique<RegistrySchemeRoutes>();
}

}  // namespace p11signd::daemon
