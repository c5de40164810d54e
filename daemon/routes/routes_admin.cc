// Admin routes: key generation, import, self-signed certificates and CSRs on the token. Admin peers
// only; a certificate or CSR also needs the key's own access rule, as signing does (both are
// signatures by the key). Keys made here are named in this process only; the configuration file is
// never rewritten (docs/api.md).
#include <boost/asio/post.hpp>

#include "daemon/observability/audited_sign.h"
#include "daemon/routes/admin_route.h"
#include "daemon/routes/api.h"
#include "daemon/routes/secret_member.h"

namespace p11signd::daemon {
namespace {

bool valid_name(const std::string& name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

// The section to add before the key signs anything: it allows nobody and no scheme until the
// admin fills them in.
std::string config_snippet(const KeySpec& spec) {
  return "[key." + spec.name + "]\nlabel = " + spec.label +
         "\nallow-uids =\nallow-groups =\nschemes =\n";
}

}  // namespace

void Api::check_new_name(const std::string& name) const {
  if (!valid_name(name)) {
    throw invalid_request("name must be 1-64 letters, digits, '-' or '_', not '" + name + "'");
  }
  if (policy_->knows_key(name) || s_.store.key(name)) {
    throw ApiError(http::status::conflict, "conflict", "a key named '" + name + "' exists");
  }
}

// The other keys stay as the current Policy has them: a reload may have published its keys in the
// store already, and they must not reach requests before its rules do (Api::apply_config).
void Api::add_runtime_key(const KeySpec& spec) {
  runtime_keys_[spec.name] = spec;
  std::set<std::string> names = policy_->runtime_keys();
  names.insert(spec.name);
  std::vector<KeyInfo> keys;
  for (const auto& [name, info] : policy_->keys()) keys.push_back(info);
  if (auto made = s_.store.key(spec.name)) keys.push_back(std::move(*made));
  policy_ = std::make_shared<const Policy>(policy_->config(), names, std::move(keys));
}

void Api::create_key(Call& call) {
  require_admin(call);
  const auto body = parse_json_object(call.req.body());
  reject_unknown_fields(body, {"name", "label", "type", "bits"});
  KeySpec spec;
  spec.name = require_string(body, "name");
  spec.label = optional_string(body, "label", spec.name);
  const KeyShape shape = key_shape(body);
  check_new_name(spec.name);
  auto claim = std::make_shared<AnswerClaim>();
  run_on_pool(
      call.reply,
      [this, peer = call.peer, spec, shape, claim](SigningSession&) {
        return audited_admin(s_.audit, peer, "keygen", spec.name, *claim, [&](AuditRecord&) {
          const KeyInfo info = s_.store.generate_key(spec.name, spec.label, shape);
          boost::asio::post(s_.io, [this, spec] { add_runtime_key(spec); });
          return json_response(http::status::created,
                               {{"key", key_json(info, {})}, {"config", config_snippet(spec)}});
        });
      },
      kAdminTimeout, claim);
}

void Api::import_key(Call& call) {
  // The private key must not linger anywhere. Before any check, the PEM is decoded out of the raw
  // body into memory that wipes itself and blanked in the body, so the JSON parser below never sees
  // it (its lexer's buffers are not wiped); the body itself is wiped however this returns. The
  // PEM's holder wipes it when the last user lets go (also when the work never runs: queue full,
  // deadline, no session). The store wipes its own copy.
  std::string& raw = call.req.body();
  const BodyWipe wipe_body(raw);
  const WipedString pem = take_secret_member(raw, "pem");
  require_admin(call);
  const auto body = parse_json_object(raw);
  // The PEM's member is still there, its value blanked: only its name is compared.
  reject_unknown_fields(body, {"name", "label", "pem"});
  if (!pem) {
    require_string(body, "pem");  // throws the 400 that names the field
    throw ApiError(http::status::bad_request, "bad_field", "field 'pem' must be a string");
  }
  KeySpec spec;
  spec.name = require_string(body, "name");
  spec.label = optional_string(body, "label", spec.name);
  check_new_name(spec.name);
  auto claim = std::make_shared<AnswerClaim>();
  run_on_pool(
      call.reply,
      [this, peer = call.peer, spec, pem, claim](SigningSession&) {
        return audited_admin(s_.audit, peer, "import", spec.name, *claim, [&](AuditRecord&) {
          const KeyInfo info = s_.store.import_key(spec.name, spec.label, *pem);
          boost::asio::post(s_.io, [this, spec] { add_runtime_key(spec); });
          return json_response(http::status::created,
                               {{"key", key_json(info, {})}, {"config", config_snippet(spec)}});
        });
      },
      kAdminTimeout, claim);
}

void Api::make_certificate(Call& call) {
  require_admin(call);
  const std::string key = call.route.key;
  require_key_access(call, key, "");
  const KeyRef admitted = requested_key(call);
  const auto body = parse_json_object(call.req.body());
  reject_unknown_fields(body, {"subject", "days", "replace"});
  const std::string subject = require_string(body, "subject");
  const unsigned days = optional_unsigned(body, "days", 365);
  if (days < 1 || days > 36500) throw invalid_request("days must be from 1 to 36500");
  const bool replace = optional_bool(body, "replace");
  auto claim = std::make_shared<AnswerClaim>();
  run_on_pool(
      call.reply,
      [this, peer = call.peer, admitted, subject, days, replace, claim](SigningSession&) {
        return audited_admin(
            s_.audit, peer, "certificate", admitted.name, *claim, [&](AuditRecord& rec) {
              rec.key_version = admitted.version;
              return text_response(http::status::created,
                                   s_.store.make_certificate(admitted, subject, days, replace),
                                   "application/x-pem-file");
            });
      },
      kAdminTimeout, claim);
}

void Api::make_csr(Call& call) {
  require_admin(call);
  const std::string key = call.route.key;
  require_key_access(call, key, "");
  const KeyRef admitted = requested_key(call);
  const auto body = parse_json_object(call.req.body());
  reject_unknown_fields(body, {"subject"});
  const std::string subject = require_string(body, "subject");
  auto claim = std::make_shared<AnswerClaim>();
  run_on_pool(
      call.reply,
      [this, peer = call.peer, admitted, subject, claim](SigningSession&) {
        return audited_admin(s_.audit, peer, "csr", admitted.name, *claim, [&](AuditRecord& rec) {
          rec.key_version = admitted.version;
          return text_response(http::status::ok, s_.store.make_csr(admitted, subject),
                               "application/x-pem-file");
        });
      },
      kAdminTimeout, claim);
}

}  // namespace p11signd::daemon
