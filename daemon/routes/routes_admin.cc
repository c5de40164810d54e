// Admin routes: key generation, import, self-signed certificates and CSRs on the token. Admin peers
// only; a certificate or CSR also needs the key's own access rule, as signing does (both are
// signatures by the key). Keys made here are named in this process only; the configuration file is
// never rewritten (docs/api.md).
#include <boost/asio/post.hpp>

#include "daemon/observability/audited_sign.h"
#include "daemon/routes/api.h"
#include "daemon/routes/secret_member.h"

namespace p11signd::daemon {
namespace {

// Key generation takes seconds for 4096 bits on some tokens: admin work gets a longer deadline.
constexpr std::chrono::milliseconds kAdminTimeout{120'000};

ApiError invalid(const std::string& message) {
  return {http::status::unprocessable_entity, "invalid_request", message};
}

bool valid_name(const std::string& name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

unsigned optional_unsigned(const nlohmann::json& body, const std::string& field,
                           unsigned fallback) {
  if (!body.contains(field)) return fallback;
  if (!body[field].is_number_unsigned()) {
    throw ApiError(http::status::bad_request, "bad_field",
                   "field '" + field + "' must be a positive integer");
  }
  return body[field].get<unsigned>();
}

bool optional_bool(const nlohmann::json& body, const std::string& field) {
  if (!body.contains(field)) return false;
  if (!body[field].is_boolean()) {
    throw ApiError(http::status::bad_request, "bad_field",
                   "field '" + field + "' must be true or false");
  }
  return body[field].get<bool>();
}

// "type" (rsa, rsa:2048, rsa:3072, rsa:4096, ec:P-256, ec:P-384, ed25519; default rsa) and, for
// RSA only, "bits" (2048 unless the type names a size).
KeyShape key_shape(const nlohmann::json& body) {
  const std::string type = optional_string(body, "type", "rsa");
  const auto shape = parse_key_shape(type);
  if (!shape) {
    throw invalid("type must be rsa, " + std::string(kKeyShapeNames) + ", not '" + type + "'");
  }
  if (!body.contains("bits")) return *shape;
  const unsigned bits = optional_unsigned(body, "bits", shape->bits);
  if (shape->type != KeyType::kRsa) {
    throw invalid("bits is for RSA keys only; a " + type + " key has its curve's size");
  }
  if (type != "rsa" && bits != shape->bits) {
    throw invalid("bits " + std::to_string(bits) + " contradicts type " + type);
  }
  if (bits != 2048 && bits != 3072 && bits != 4096)
    throw invalid("bits must be 2048, 3072 or 4096");
  return KeyShape(bits);
}

// The section to add before the key signs anything: it allows nobody and no scheme until the
// admin fills them in.
std::string config_snippet(const KeySpec& spec) {
  return "[key." + spec.name + "]\nlabel = " + spec.label +
         "\nallow-uids =\nallow-groups =\nschemes =\n";
}

// Writes rec; after a failed write, re-opens the log once and writes it again. Throws 503 when the
// line cannot be written: the operation happened, so its line must not silently go missing.
void write_admin_record(AuditLog& audit, const AuditRecord& rec) {
  if (audit.write(rec) || (audit.try_recover() && audit.write(rec))) return;
  throw ApiError(http::status::service_unavailable, "audit_unavailable",
                 "the " + rec.op + " of key '" + rec.key +
                     "' was done but its audit line cannot be written: " + audit.failure());
}

// Runs an admin operation on a worker and writes its audit line whatever the outcome. claim says
// whether the client will see the result: key generation can outlast the admin deadline, and the
// trail then says the key exists although the client got a 504.
template <typename F>
Response audited_admin(AuditLog& audit, const Peer& peer, const std::string& op,
                       const std::string& key, AnswerClaim& claim, F&& f) {
  require_audit(audit);
  AuditRecord rec;
  rec.op = op;
  rec.peer = &peer;
  rec.key = key;
  const auto start = std::chrono::steady_clock::now();
  auto latency = [&] {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                                 start);
  };
  try {
    Response res = f();
    rec.result = claim.claim_result()
                     ? "ok"
                     : "ok, after the request had been answered 504 (admin deadline)";
    rec.latency = latency();
    write_admin_record(audit, rec);
    return res;
  } catch (const std::exception& e) {
    rec.result = std::string("error: ") + e.what();
    rec.latency = latency();
    audit.write(rec);
    throw;
  }
}

}  // namespace

void Api::check_new_name(const std::string& name) const {
  if (!valid_name(name)) {
    throw invalid("name must be 1-64 letters, digits, '-' or '_', not '" + name + "'");
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
        return audited_admin(s_.audit, peer, "keygen", spec.name, *claim, [&] {
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
  struct BodyWiper {
    std::string& body;
    ~BodyWiper() { wipe_in_place(body); }
  } wipe_body{raw};
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
        return audited_admin(s_.audit, peer, "import", spec.name, *claim, [&] {
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
  const KeyRef admitted = admitted_key(call, key);
  const auto body = parse_json_object(call.req.body());
  reject_unknown_fields(body, {"subject", "days", "replace"});
  const std::string subject = require_string(body, "subject");
  const unsigned days = optional_unsigned(body, "days", 365);
  if (days < 1 || days > 36500) throw invalid("days must be from 1 to 36500");
  const bool replace = optional_bool(body, "replace");
  auto claim = std::make_shared<AnswerClaim>();
  run_on_pool(
      call.reply,
      [this, peer = call.peer, admitted, subject, days, replace, claim](SigningSession&) {
        return audited_admin(s_.audit, peer, "certificate", admitted.name, *claim, [&] {
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
  const KeyRef admitted = admitted_key(call, key);
  const auto body = parse_json_object(call.req.body());
  reject_unknown_fields(body, {"subject"});
  const std::string subject = require_string(body, "subject");
  auto claim = std::make_shared<AnswerClaim>();
  run_on_pool(
      call.reply,
      [this, peer = call.peer, admitted, subject, claim](SigningSession&) {
        return audited_admin(s_.audit, peer, "csr", admitted.name, *claim, [&] {
          return text_response(http::status::ok, s_.store.make_csr(admitted, subject),
                               "application/x-pem-file");
        });
      },
      kAdminTimeout, claim);
}

}  // namespace p11signd::daemon
