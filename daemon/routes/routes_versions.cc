// Key versions (docs/api.md "Key versions"): the listing and the JWK Set (the public-key access
// rule), and the admin operations rotate, activate, retire, destroy and settings, each audited
// with the version it made or changed. The listing reads each version's certificate, a token
// operation, so it runs on a worker like the operations themselves.
#include <boost/asio/post.hpp>

#include "common/nearest_name.h"
#include "daemon/routes/admin_route.h"
#include "daemon/routes/api.h"
#include "daemon/routes/secret_member.h"
#include "daemon/routes/version_view.h"
#include "daemon/server/loop_guard.h"

namespace p11signd::daemon {
namespace {

using Json = nlohmann::ordered_json;

ApiError key_not_found(const std::string& key) {
  return {http::status::not_found, "key_not_found", "no key named '" + key + "'"};
}

ApiError no_version(const std::string& key, const std::string& version) {
  return {http::status::not_found, "version_not_found",
          "key '" + key + "' has no version '" + version + "'"};
}

// {"key","versions"} as the store has them now, each version with its certificate.
Json versions_answer(const KeyStore& store, const std::string& key,
                     const schemes::KeySettings& configured) {
  Json list = Json::array();
  for (const auto& v : store.versions(key)) {
    list.push_back(version_json(v, configured, store.certificate_pem({key, "", v.version})));
  }
  return {{"key", key}, {"versions", list}};
}

unsigned existing_version(const KeyStore& store, const std::string& key, const std::string& text) {
  if (const auto number = parse_version_number(text)) {
    for (const auto& v : store.versions(key)) {
      if (v.version == *number) return *number;
    }
  }
  throw no_version(key, text);
}

// A body that may be empty or {}: the activate and retire routes read no field.
nlohmann::json optional_body(const std::string& raw) {
  return raw.empty() ? nlohmann::json::object() : parse_json_object(raw);
}

// {"settings":{"SCHEME.SETTING":"value",...}}, each a setting one of known names.
VersionSettings parse_settings(const nlohmann::json& body, const std::vector<std::string>& known,
                               const std::string& key) {
  if (!body.contains("settings")) {
    throw ApiError(http::status::bad_request, "missing_field",
                   "field 'settings' (an object of SCHEME.SETTING to string) is required");
  }
  const auto& given = body["settings"];
  if (!given.is_object()) {
    throw ApiError(http::status::bad_request, "bad_field",
                   "field 'settings' must be an object of SCHEME.SETTING to string");
  }
  VersionSettings out;
  for (const auto& [name, value] : given.items()) {
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      throw ApiError(http::status::bad_request, "bad_field",
                     "settings: '" + name + "' is not a setting any scheme of key '" + key +
                         "' reads" + did_you_mean(name, known) + "; they are " + comma_list(known));
    }
    if (!value.is_string()) {
      throw ApiError(http::status::bad_request, "bad_field",
                     "settings: '" + name + "' must be a string");
    }
    out[name] = value.get<std::string>();
  }
  return out;
}

void require_confirm(const nlohmann::json& body, const std::string& key, unsigned version) {
  const std::string why = "destroying version " + std::to_string(version) + " of key '" + key +
                          "' deletes its key pair from the token for good; send {\"confirm\":true}";
  if (!body.contains("confirm")) throw ApiError(http::status::bad_request, "missing_field", why);
  if (body["confirm"] != true) throw ApiError(http::status::bad_request, "bad_field", why);
}

std::string operation_of(RouteId id) {
  switch (id) {
    case RouteId::kActivateVersion:
      return "activate";
    case RouteId::kRetireVersion:
      return "retire";
    case RouteId::kDestroyVersion:
      return "destroy";
    default:
      return "version-settings";
  }
}

}  // namespace

const schemes::KeySettings& Api::configured_settings(const Call& call,
                                                     const std::string& key) const {
  static const schemes::KeySettings kNone;
  const auto& keys = call.policy->config().keys;
  const auto it = keys.find(key);
  return it == keys.end() ? kNone : it->second.settings;
}

KeyInfo Api::requested_version(const Call& call) const {
  const std::string& key = call.route.key;
  const KeyInfo* admitted = call.policy->key(key);
  if (!admitted) throw key_not_found(key);
  const auto it = call.route.query.find("version");
  if (it == call.route.query.end()) return *admitted;
  const auto number = parse_version_number(it->second);
  if (!number) {
    throw ApiError(http::status::bad_request, "bad_query",
                   "version must be a version number (1, 2, 3...), not '" + it->second + "'");
  }
  for (const auto& v : s_.store.versions(key)) {
    if (v.version == *number) return v;
  }
  throw no_version(key, it->second);
}

KeyRef Api::requested_key(const Call& call) const {
  if (!call.route.query.count("version")) return admitted_key(call, call.route.key);
  const KeyInfo v = requested_version(call);
  return {call.route.key, v.fingerprint_sha256, v.version};
}

void Api::refresh_key(const std::string& name) {
  try {
    auto active = s_.store.key(name);
    if (!active) return;
    std::vector<KeyInfo> keys;
    for (const auto& [each, info] : policy_->keys()) {
      if (each != name) keys.push_back(info);
    }
    keys.push_back(std::move(*active));
    policy_ =
        std::make_shared<const Policy>(policy_->config(), policy_->runtime_keys(), std::move(keys));
  } catch (...) {
    log_handler_failure("refreshing key '" + name + "' after a version operation",
                        what_of(std::current_exception()));
  }
}

void Api::list_versions(Call& call) {
  const std::string key = call.route.key;
  if (!call.policy->is_admin(call.peer)) require_key_access(call, key, "");
  if (!call.policy->key(key)) throw key_not_found(key);
  run_on_pool(call.reply, [store = &s_.store, key,
                           configured = configured_settings(call, key)](SigningSession&) {
    return json_response(http::status::ok, versions_answer(*store, key, configured));
  });
}

void Api::jwks(Call& call) {
  const std::string key = call.route.key;
  if (!call.policy->is_admin(call.peer)) require_key_access(call, key, "");
  if (!call.policy->key(key)) throw key_not_found(key);
  call.reply(json_response(http::status::ok,
                           jwks_json(s_.store.versions(key), configured_settings(call, key))));
}

void Api::rotate_key(Call& call) {
  // An imported key's PEM is taken out of the body before anything reads it, as /v1/keys/import
  // does (daemon/routes/secret_member.h).
  std::string& raw = call.req.body();
  const BodyWipe wipe_body(raw);
  const WipedString pem = take_secret_member(raw, "pem");
  require_admin(call);
  const std::string key = call.route.key;
  if (!call.policy->key(key)) throw key_not_found(key);
  const auto body = optional_body(raw);
  reject_unknown_fields(body, {"type", "bits", "curve", "pem"});
  const bool shaped = body.contains("type") || body.contains("bits") || body.contains("curve");
  if (body.contains("pem")) {
    if (!pem)
      throw ApiError(http::status::bad_request, "bad_field", "field 'pem' must be a string");
    if (shaped) {
      throw ApiError(http::status::bad_request, "bad_field",
                     "give 'pem' to import a version or a shape (type, bits, curve) to generate "
                     "one, not both");
    }
  }
  std::optional<KeyShape> shape;
  if (shaped) shape = key_shape(body);
  auto claim = std::make_shared<AnswerClaim>();
  run_on_pool(
      call.reply,
      [this, peer = call.peer, key, shape, pem, claim,
       configured = configured_settings(call, key)](SigningSession&) {
        return audited_admin(
            s_.audit, peer, pem ? "rotate-import" : "rotate", key, *claim, [&](AuditRecord& rec) {
              const KeyInfo made =
                  pem ? s_.store.rotate_import(key, *pem) : s_.store.rotate(key, shape);
              rec.key_version = made.version;
              return json_response(http::status::created,
                                   versions_answer(s_.store, key, configured));
            });
      },
      kAdminTimeout, claim);
}

void Api::change_version(Call& call) {
  require_admin(call);
  const std::string key = call.route.key;
  if (!call.policy->key(key)) throw key_not_found(key);
  const auto body = optional_body(call.req.body());
  const RouteId id = call.route.id;
  const unsigned version = existing_version(s_.store, key, call.route.version);
  VersionSettings settings;
  if (id == RouteId::kDestroyVersion) {
    reject_unknown_fields(body, {"confirm"});
    require_confirm(body, key, version);
  } else if (id == RouteId::kVersionSettings) {
    reject_unknown_fields(body, {"settings"});
    // jws.kid names the kid the JWK Set publishes the version under, whatever its schemes.
    std::vector<std::string> known = {"jws.kid"};
    for (const auto& scheme : call.policy->schemes_of(key)) {
      for (auto& setting : schemes_->known_settings(scheme)) {
        if (std::find(known.begin(), known.end(), setting) == known.end()) known.push_back(setting);
      }
    }
    settings = parse_settings(body, known, key);
  } else {
    reject_unknown_fields(body, {});
  }
  auto claim = std::make_shared<AnswerClaim>();
  run_on_pool(
      call.reply,
      [this, peer = call.peer, key, version, id, settings, claim,
       configured = configured_settings(call, key)](SigningSession&) {
        return audited_admin(s_.audit, peer, operation_of(id), key, *claim, [&](AuditRecord& rec) {
          rec.key_version = version;
          if (id == RouteId::kActivateVersion) s_.store.activate(key, version);
          if (id == RouteId::kRetireVersion) s_.store.retire(key, version);
          if (id == RouteId::kDestroyVersion) s_.store.destroy(key, version);
          if (id == RouteId::kVersionSettings)
            s_.store.set_version_settings(key, version, settings);
          boost::asio::post(s_.io, [this, key] { refresh_key(key); });
          return json_response(http::status::ok, versions_answer(s_.store, key, configured));
        });
      },
      kAdminTimeout, claim);
}

}  // namespace p11signd::daemon
