#include "schemes/raw.h"

#include "common/encoding.h"
#include "schemes/json_input.h"
#include "schemes/peer_key.h"

namespace p11signd::schemes {
namespace {

SignRequest parse_alg(const Json& input) {
  const auto alg = parse_sign_alg(require_string(input, "alg"));
  if (!alg) throw_bad_request("alg", "must be \"RSA-SHA256\" or \"RSA-PSS-SHA256\"");
  return SignRequest{*alg, 32};
}

}  // namespace

Json RawScheme::describe() const {
  return Json{{"name", name()},
              {"description", "signs the given bytes as they are (SHA-256 inside the signature)"},
              {"sign", {{"required", {"alg", "data"}}, {"optional", Json::array()}}},
              {"verify", {{"required", {"alg", "data", "signature"}}}},
              {"settings", Json::array()},
              {"algorithms", {"RSA-SHA256", "RSA-PSS-SHA256"}}};
}

Json RawScheme::sign(const Json& input, const KeySettings&, const SignFn& sign) const {
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
