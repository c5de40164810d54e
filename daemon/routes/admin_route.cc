#include "daemon/routes/admin_route.h"

namespace p11signd::daemon {
namespace {

// {"type":"ec","curve":"P-256"} is {"type":"ec:P-256"}.
std::string type_with_curve(const nlohmann::json& body) {
  const std::string type = optional_string(body, "type", "rsa");
  if (!body.contains("curve")) return type;
  const std::string curve = require_string(body, "curve");
  if (type != "ec") throw invalid_request("curve is for type ec only, not '" + type + "'");
  if (curve != "P-256" && curve != "P-384") {
    throw invalid_request("curve must be P-256 or P-384, not '" + curve + "'");
  }
  return "ec:" + curve;
}

}  // namespace

ApiError invalid_request(const std::string& message) {
  return {http::status::unprocessable_entity, "invalid_request", message};
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

KeyShape key_shape(const nlohmann::json& body) {
  const std::string type = type_with_curve(body);
  const auto shape = parse_key_shape(type);
  if (!shape) {
    throw invalid_request("type must be rsa, " + std::string(kKeyShapeNames) + ", not '" + type +
                          "'");
  }
  if (!body.contains("bits")) return *shape;
  const unsigned bits = optional_unsigned(body, "bits", shape->bits);
  if (shape->type != KeyType::kRsa) {
    throw invalid_request("bits is for RSA keys only; a " + type + " key has its curve's size");
  }
  if (type != "rsa" && bits != shape->bits) {
    throw invalid_request("bits " + std::to_string(bits) + " contradicts type " + type);
  }
  if (bits != 2048 && bits != 3072 && bits != 4096) {
    throw invalid_request("bits must be 2048, 3072 or 4096");
  }
  return KeyShape(bits);
}

void write_admin_record(AuditLog& audit, const AuditRecord& rec) {
  if (audit.write(rec) || (audit.try_recover() && audit.write(rec))) return;
  throw ApiError(http::status::service_unavailable, "audit_unavailable",
                 "the " + rec.op + " of key '" + rec.key +
                     "' was done but its audit line cannot be written: " + audit.failure());
}

}  // namespace p11signd::daemon
