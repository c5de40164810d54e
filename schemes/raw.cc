#include "schemes/raw.h"

#include "common/encoding.h"
#include "schemes/json_input.h"
#include "schemes/peer_key.h"

namespace p11signd::schemes {
namespace {

// The body /v1/keys/NAME/sign reads: alg defaults to RSA-SHA256; PSS takes salt_len 32 (default)
// or 20.
SignRequest parse_alg(const Json& input) {
  const auto alg = parse_sign_alg(optional_string(input, "alg").value_or("RSA-SHA256"));
  if (!alg) throw_unprocessable("alg", "must be \"RSA-SHA256\" or \"RSA-PSS-SHA256\"");
  SignRequest req{*alg, 32};
  if (input.contains("salt_len")) {
    const Json& salt = input["salt_len"];
    if (!salt.is_number_integer() || (salt != 32 && salt != 20)) {
      throw_unprocessable("salt_len", "must be 32 or 20");
    }
    req.salt_len = salt.get<unsigned>();
  }
  return req;
}

}  // namespace

Json RawScheme::describe() const {
  return Json{{"name", name()},
              {"description", "signs the given bytes as they are (SHA-256 inside the signature)"},
              {"sign", {{"required", {"data"}}, {"optional", {"alg", "salt_len"}}}},
              {"verify", {{"required", {"data", "signature"}}, {"optional", {"alg", "salt_len"}}}},
              {"settings", known_settings()},
              {"algorithms", {"RSA-SHA256", "RSA-PSS-SHA256"}}};
}

Json RawScheme::sign(const Json& input, const KeySettings&, const SigningKey& sign) const {
  require_object_input(input);
  const SignRequest req = parse_alg(input);
  const Bytes data = require_base64(input, "data");
  return Json{{"signature", base64_encode(sign(req, data))},
              {"alg", std::string(to_string(req.alg))}};
}

Json RawScheme::verify(const Json& input, const PeerKey& peer) const {
  require_object_input(input);
  const SignRequest req = parse_alg(input);
  const Bytes data = require_base64(input, "data");
  const Bytes signature = require_base64(input, "signature");
  const bool ok = peer.verify(req, data, signature);
  return verify_result(ok, ok ? "signature matches" : "signature does not match the data and key");
}

}  // namespace p11signd::schemes
