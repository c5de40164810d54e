#include "schemes/raw.h"

#include "common/encoding.h"
#include "schemes/json_input.h"
#include "schemes/peer_key.h"

namespace p11signd::schemes {
namespace {

constexpr SignAlg kAllAlgs[] = {SignAlg::kRsaPkcs1Sha256, SignAlg::kRsaPssSha256,
                                SignAlg::kRsaPssSha512,   SignAlg::kEcdsaSha256,
                                SignAlg::kEcdsaSha384,    SignAlg::kEd25519};

std::vector<SignAlg> algs_for(KeyType type) {
  std::vector<SignAlg> out;
  for (const SignAlg alg : kAllAlgs) {
    if (key_can_sign(type, alg)) out.push_back(alg);
  }
  return out;
}

std::string names_of(const std::vector<SignAlg>& algs) {
  std::string out;
  for (const SignAlg alg : algs) out += (out.empty() ? "" : ", ") + std::string(to_string(alg));
  return out;
}

SignAlg read_alg(const Json& input, KeyType key) {
  const auto name = optional_string(input, "alg");
  if (!name) return algs_for(key).front();
  const auto alg = parse_sign_alg(*name);
  if (!alg) {
    throw_unprocessable("alg",
                        "must be one of " + names_of({std::begin(kAllAlgs), std::end(kAllAlgs)}));
  }
  if (!key_can_sign(key, *alg)) {
    throw_unprocessable("alg", "'" + *name + "' is not for this key: the key is " +
                                   std::string(to_string(key)) + ", which makes " +
                                   names_of(algs_for(key)));
  }
  return *alg;
}

// 20, or the alg's hash length (the default); RSA-SHA256 tolerates it as the daemon's body always
// has.
unsigned read_salt_len(const Json& input, SignAlg alg) {
  if (!input.contains("salt_len")) return 0;
  if (!is_rsa(alg)) throw_unprocessable("salt_len", "applies to RSA-PSS only");
  const unsigned hash_len = alg == SignAlg::kRsaPssSha512 ? 64 : 32;
  const Json& salt = input["salt_len"];
  if (!salt.is_number_integer() || (salt != hash_len && salt != 20)) {
    throw_unprocessable("salt_len", "must be " + std::to_string(hash_len) + " or 20");
  }
  return salt.get<unsigned>();
}

EcdsaEncoding read_format(const Json& input, SignAlg alg) {
  if (!input.contains("format")) return EcdsaEncoding::kDer;
  if (!is_ecdsa(alg)) throw_unprocessable("format", "applies to ECDSA only");
  const std::string format = require_string(input, "format");
  if (format == "der") return EcdsaEncoding::kDer;
  if (format == "raw") return EcdsaEncoding::kRaw;
  throw_unprocessable("format", "must be \"der\" or \"raw\" (r||s)");
}

// The body /v1/keys/NAME/sign reads, for a key of this type.
SignRequest parse_request(const Json& input, KeyType key) {
  SignRequest req;
  req.alg = read_alg(input, key);
  req.salt_len = read_salt_len(input, req.alg);
  req.ecdsa_encoding = read_format(input, req.alg);
  return req;
}

Json algs_by_key_type() {
  Json out = Json::object();
  for (const KeyType type : kAllKeyTypes) {
    Json algs = Json::array();
    for (const SignAlg alg : algs_for(type)) algs.push_back(std::string(to_string(alg)));
    out[std::string(to_string(type))] = algs;
  }
  return out;
}

}  // namespace

std::vector<KeyType> RawScheme::key_types() const {
  return {std::begin(kAllKeyTypes), std::end(kAllKeyTypes)};
}

Json RawScheme::describe() const {
  Json algorithms = Json::array();
  for (const SignAlg alg : kAllAlgs) algorithms.push_back(std::string(to_string(alg)));
  return Json{
      {"name", name()},
      {"description",
       "signs the given bytes as they are (the alg's hash inside the signature; Ed25519 signs "
       "them itself); alg defaults to the first its key makes, ECDSA signatures are DER unless "
       "format is raw"},
      {"sign", {{"required", {"data"}}, {"optional", {"alg", "salt_len", "format"}}}},
      {"verify",
       {{"required", {"data", "signature"}}, {"optional", {"alg", "salt_len", "format"}}}},
      {"settings", known_settings()},
      {"algorithms", algorithms},
      {"algorithms_by_key_type", algs_by_key_type()}};
}

Json RawScheme::sign(const Json& input, const KeySettings&, const SigningKey& sign) const {
  require_object_input(input);
  const SignRequest req = parse_request(input, sign.type());
  const Bytes data = require_base64(input, "data");
  Json out{{"signature", base64_encode(sign(req, data))}, {"alg", std::string(to_string(req.alg))}};
  if (is_ecdsa(req.alg)) out["format"] = req.ecdsa_encoding == EcdsaEncoding::kDer ? "der" : "raw";
  return out;
}

Json RawScheme::verify(const Json& input, const PeerKey& peer) const {
  require_object_input(input);
  const SignRequest req = parse_request(input, peer.type());
  const Bytes data = require_base64(input, "data");
  const Bytes signature = require_base64(input, "signature");
  const bool ok = peer.verify(req, data, signature);
  return verify_result(ok, ok ? "signature matches" : "signature does not match the data and key");
}

}  // namespace p11signd::schemes
