// Prints compact JWS made by the jws scheme, one JSON object a line, for a JOSE implementation we
// did not write to check (jws_jwcrypto_check.py): {"alg", "jws", "public_key_pem", "payload_b64",
// "expect": "valid" | "invalid"}. Each key type signs with a fresh in-memory key (TestKey, the same
// signer the scheme tests use). The "invalid" lines are the control: the same JWS with its
// signature DER-encoded or one byte changed, which a verifier must refuse.
#include <iostream>

#include "common/ecdsa_signature.h"
#include "common/encoding.h"
#include "common/public_key.h"
#include "schemes/jws.h"
#include "schemes/testing/test_key.h"

namespace p11signd::schemes {
namespace {

void print(std::string_view alg, const std::string& jws, const std::string& pem,
           const std::string& payload_b64, bool valid) {
  std::cout << Json{{"alg", alg},
                    {"jws", jws},
                    {"public_key_pem", pem},
                    {"payload_b64", payload_b64},
                    {"expect", valid ? "valid" : "invalid"}}
                   .dump()
            << "\n";
}

// The signature segment replaced by `signature`.
std::string with_signature(const std::string& jws, ByteView signature) {
  return jws.substr(0, jws.rfind('.') + 1) + base64url_encode(signature);
}

void emit(KeyType type, std::string_view alg) {
  const auto key = testing::TestKey::generate(type);
  const std::string pem = spki_pem(key.peer().spki_der());
  const std::string payload_b64 = base64url_encode(as_bytes(R"({"iss":"p11signd","n":1})"));
  const Json input{{"alg", alg}, {"payload_b64", payload_b64}, {"header", {{"kid", "k1"}}}};
  const std::string jws = JwsScheme().sign(input, {}, key.signer())["jws"].get<std::string>();
  print(alg, jws, pem, payload_b64, true);

  Bytes signature = *base64url_decode(jws.substr(jws.rfind('.') + 1));
  if (is_ecdsa(jws_sign_request(alg)->alg)) {
    print(alg, with_signature(jws, *ecdsa_raw_to_der(signature)), pem, payload_b64, false);
  }
  signature[signature.size() / 2] ^= 0x01;
  print(alg, with_signature(jws, signature), pem, payload_b64, false);
}

}  // namespace
}  // namespace p11signd::schemes

int main() {
  using p11signd::KeyType;
  for (const auto& [type, alg] :
       {std::pair{KeyType::kEcP256, "ES256"}, std::pair{KeyType::kEcP384, "ES384"},
        std::pair{KeyType::kEd25519, "EdDSA"}, std::pair{KeyType::kRsa, "RS256"},
        std::pair{KeyType::kRsa, "PS256"}}) {
    p11signd::schemes::emit(type, alg);
  }
  return 0;
}
