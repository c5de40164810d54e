#include "schemes/mypos.h"

#include <algorithm>
#include <array>

#include "common/encoding.h"
#include "schemes/ascii.h"
#include "schemes/json_input.h"
#include "schemes/peer_key.h"

namespace p11signd::schemes {
namespace {

constexpr SignRequest kMyposAlg{SignAlg::kRsaPkcs1Sha256, 0};

// The field verify reads the signature from and leaves out of the signed values, exactly as the
// seed's reference verifier does (unset($data['Signature'])): any other spelling is a signed value.
constexpr std::string_view kSignatureField = "Signature";

// Sign refuses every spelling, so that no "signature" field can be mistaken for the real one.
bool is_signature_name(std::string_view name) { return ascii_lower(name) == "signature"; }

bool has_field(const FormPairs& fields, std::string_view name) {
  return std::any_of(fields.begin(), fields.end(), [&](const auto& p) { return p.first == name; });
}

std::string value_text(const Json& v, const std::string& where) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  if (v.is_number_integer()) return v.dump();
  if (v.is_number_float()) {
    throw_bad_request(where,
                      "must be a string: a fractional number loses its exact text (20 vs 20.00)");
  }
  throw_bad_request(where, "must be a string, an integer or null");
}

// Where the SDK puts the settings' fields: after the last present field of the chain before it.
std::size_t insert_position(const FormPairs& fields, std::string_view name) {
  static constexpr std::array<std::string_view, 6> kChain = {
      "IPCmethod", "IPCVersion", "IPCLanguage", "SID", "WalletNumber", "KeyIndex"};
  const auto self = std::find(kChain.begin(), kChain.end(), name);
  for (auto it = self; it != kChain.begin();) {
    --it;
    const auto found =
        std::find_if(fields.begin(), fields.end(), [&](const auto& p) { return p.first == *it; });
    if (found != fields.end()) return static_cast<std::size_t>(found - fields.begin()) + 1;
  }
  return 0;
}

FormPairs read_verify_fields(const Json& input) {
  if (const auto form = optional_string(input, "form")) {
    auto pairs = form_decode_pairs(*form);
    if (!pairs) throw_bad_request("form", "has a broken %-escape");
    return *pairs;
  }
  if (input.contains("fields")) return mypos_read_fields(input["fields"], "fields");
  throw_missing("form", "is required (or \"fields\")");
}

}  // namespace

std::string mypos_signed_text(const FormPairs& fields) {
  std::string joined;
  bool first = true;
  for (const auto& [name, value] : fields) {
    if (name == kSignatureField) continue;
    if (!first) joined.push_back('-');
    joined += value;
    first = false;
  }
  return base64_encode(as_bytes(joined));
}

FormPairs mypos_fill_from_settings(FormPairs fields, const KeySettings& settings) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 3> kFilled = {
      {{"SID", "mypos.sid"},
       {"WalletNumber", "mypos.wallet-number"},
       {"KeyIndex", "mypos.key-index"}}};
  for (const auto& [field, setting] : kFilled) {
    if (has_field(fields, field)) continue;
    const auto value = optional_setting(settings, setting);
    if (!value) {
      throw_unprocessable("fields." + std::string(field),
                          "is missing and the key has no " + std::string(setting) + " setting");
    }
    const auto pos = insert_position(fields, field);
    fields.insert(fields.begin() + static_cast<std::ptrdiff_t>(pos), {std::string(field), *value});
  }
  return fields;
}

FormPairs mypos_read_fields(const Json& fields, std::string_view field_name) {
  const std::string base(field_name);
  FormPairs out;
  if (fields.is_object()) {
    for (const auto& [name, value] : fields.items()) {
      out.emplace_back(name, value_text(value, base + "." + name));
    }
    return out;
  }
  if (!fields.is_array()) throw_bad_request(base, "must be [[name, value], ...] or an object");
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const std::string where = base + "[" + std::to_string(i) + "]";
    const Json& pair = fields[i];
    if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string()) {
      throw_bad_request(where, "must be a [name, value] pair with a string name");
    }
    out.emplace_back(pair[0].get<std::string>(), value_text(pair[1], where));
  }
  return out;
}

Json MyposScheme::describe() const {
  return Json{
      {"name", name()},
      {"description", "myPOS Checkout: RSA-SHA256 over base64 of the dash-joined field values"},
      {"sign", {{"required", {"fields"}}, {"optional", Json::array()}}},
      {"verify", {{"required", {"form"}}, {"alternatives", {{"form", "fields"}}}}},
      {"settings", known_settings()}};
}

Json MyposScheme::sign(const Json& input, const KeySettings& settings,
                       const SigningKey& sign) const {
  require_object_input(input);
  FormPairs fields = mypos_read_fields(require_field(input, "fields"), "fields");
  for (const auto& p : fields) {
    if (is_signature_name(p.first))
      throw_unprocessable("fields.Signature", "is computed; do not send it");
  }
  fields = mypos_fill_from_settings(std::move(fields), settings);
  const std::string text = mypos_signed_text(fields);
  const std::string signature = base64_encode(sign(kMyposAlg, as_bytes(text)));
  fields.emplace_back("Signature", signature);
  Json pairs = Json::array();
  for (const auto& [n, v] : fields) pairs.push_back(Json::array({n, v}));
  return Json{{"signature", signature}, {"fields", pairs}, {"form", form_encode_pairs(fields)}};
}

Json MyposScheme::verify(const Json& input, const PeerKey& peer) const {
  require_object_input(input);
  const FormPairs fields = read_verify_fields(input);
  const auto is_signature = [](const auto& p) { return p.first == kSignatureField; };
  const auto sig = std::find_if(fields.begin(), fields.end(), is_signature);
  if (sig == fields.end()) return verify_result(false, "no Signature field");
  if (std::count_if(fields.begin(), fields.end(), is_signature) > 1) {
    return verify_result(false, "more than one Signature field");
  }
  const auto signature = base64_decode(sig->second);
  if (!signature) return verify_result(false, "Signature is not valid base64");
  const bool ok = peer.verify(kMyposAlg, as_bytes(mypos_signed_text(fields)), *signature);
  return verify_result(ok, ok ? "signature matches" : "signature does not match the fields");
}

std::vector<std::string> MyposScheme::check_settings(const KeySettings& settings) const {
  // Absent settings are allowed (requests may carry SID, WalletNumber, KeyIndex themselves); a
  // KeyIndex that is set must be a number, as myPOS assigns it.
  const auto index = optional_setting(settings, "mypos.key-index");
  if (index && index->find_first_not_of("0123456789") != std::string::npos) {
    return {"mypos.key-index must be a number, not '" + *index + "'"};
  }
  return {};
}

}  // namespace p11signd::schemes
