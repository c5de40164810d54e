// The JOSE schemes (jws, ob-jws, client-assertion) on the command line, for checking them against
// an implementation we did not write (jwcrypto), with fresh in-memory keys (TestKey, the same
// signer the scheme tests use):
//   jose_interop_tool emit    signs with ob-jws and client-assertion and prints
//                             {"public_key_pem", "now", "cases": [{"name","scheme","answer",...}]}
//                             (tests/interop/jose_interop.py)
//   jose_interop_tool verify  reads {"public_key_pem", "cases": [{"name","scheme","input"}]} and
//                             prints {"NAME": verify answer, ...}
//   jose_interop_tool jws     prints compact JWS made by the jws scheme, one JSON object a line:
//                             {"alg", "jws", "public_key_pem", "payload_b64", "expect": "valid" |
//                             "invalid"} (tests/interop/jws_jwcrypto_check.py). The "invalid" lines
//                             are the control: the same JWS with its signature DER-encoded or one
//                             byte changed, which a verifier must refuse.
// Test-only: the keys are TestKey's, never a token's.

#include <iostream>
#include <iterator>

#include "common/ecdsa_signature.h"
#include "common/encoding.h"
#include "common/public_key.h"
#include "schemes/client_assertion.h"
#include "schemes/jws.h"
#include "schemes/ob_jws.h"
#include "schemes/peer_key.h"
#include "schemes/testing/test_key.h"

namespace p11signd::schemes {
namespace {

using testing::TestKey;

const std::string kBody = R"({"Data":{"Initiation":{"InstructionIdentification":"ACME412",)"
                          R"("Note":"a.b ü \"q\""}},"Risk":{}})";

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Json emit() {
  const TestKey key = TestKey::generate(2048);
  const Clock clock = [] { return std::chrono::system_clock::now(); };
  Json cases = Json::array();
  for (const char* variant : {"v3.1.3", "v3.1.4"}) {
    const KeySettings settings = {{"ob-jws.kid", "kid-1"},
                                  {"ob-jws.iss", "0015800001041REAAY/2kiXQyo0tedjW2somjSgH7"},
                                  {"ob-jws.variant", variant}};
    cases.push_back(
        {{"name", std::string("ob-jws ") + variant},
         {"scheme", "ob-jws"},
         {"body", kBody},
         {"answer", ObJwsScheme(clock).sign(Json{{"body", kBody}}, settings, key.signer())}});
  }
  const ClientAssertionScheme ca(clock, openssl_random);
  for (const char* alg : {"RS256", "PS256"}) {
    const KeySettings settings = {{"client-assertion.client-id", "s6BhdRkqt3"},
                                  {"client-assertion.audience", "https://as.example/token"},
                                  {"client-assertion.kid", "kid-2"},
                                  {"client-assertion.alg", alg}};
    cases.push_back({{"name", std::string("client-assertion ") + alg},
                     {"scheme", "client-assertion"},
                     {"answer", ca.sign(Json{{"claims", {{"x", "ü"}}}}, settings, key.signer())}});
    cases.push_back(
        {{"name", std::string("request-object ") + alg},
         {"scheme", "client-assertion"},
         {"answer", ca.run_action("request-object",
                                  Json{{"params",
                                        {{"response_type", "code"},
                                         {"client_id", "s6BhdRkqt3"},
                                         {"redirect_uri", "https://client.example.org/cb"},
                                         {"scope", "openid payments"}}}},
                                  settings, key.signer())}});
  }
  return Json{{"public_key_pem", spki_pem(key.peer().spki_der())},
              {"now", now_seconds()},
              {"cases", cases}};
}

Json verify(const Json& request) {
  const PeerKey peer = PeerKey::from_text(request.at("public_key_pem").get<std::string>());
  const Clock clock = [] { return std::chrono::system_clock::now(); };
  const ObJwsScheme ob(clock);
  const ClientAssertionScheme ca(clock, openssl_random);
  Json out = Json::object();
  for (const auto& c : request.at("cases")) {
    const Scheme& scheme = c.at("scheme") == "ob-jws" ? static_cast<const Scheme&>(ob) : ca;
    out[c.at("name").get<std::string>()] = scheme.verify(c.at("input"), peer);
  }
  return out;
}

// One line of `jws`.
void print_jws_line(std::string_view alg, const std::string& jws, const std::string& pem,
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

void print_jws(KeyType type, std::string_view alg) {
  const auto key = TestKey::generate(type);
  const std::string pem = spki_pem(key.peer().spki_der());
  const std::string payload_b64 = base64url_encode(as_bytes(R"({"iss":"p11signd","n":1})"));
  const Json input{{"alg", alg}, {"payload_b64", payload_b64}, {"header", {{"kid", "k1"}}}};
  const std::string jws = JwsScheme().sign(input, {}, key.signer())["jws"].get<std::string>();
  print_jws_line(alg, jws, pem, payload_b64, true);

  Bytes signature = *base64url_decode(jws.substr(jws.rfind('.') + 1));
  if (is_ecdsa(jws_sign_request(alg)->alg)) {
    print_jws_line(alg, with_signature(jws, *ecdsa_raw_to_der(signature)), pem, payload_b64, false);
  }
  signature[signature.size() / 2] ^= 0x01;
  print_jws_line(alg, with_signature(jws, signature), pem, payload_b64, false);
}

void print_jws() {
  for (const auto& [type, alg] :
       {std::pair{KeyType::kEcP256, "ES256"}, std::pair{KeyType::kEcP384, "ES384"},
        std::pair{KeyType::kEd25519, "EdDSA"}, std::pair{KeyType::kRsa, "RS256"},
        std::pair{KeyType::kRsa, "PS256"}}) {
    print_jws(type, alg);
  }
}

}  // namespace
}  // namespace p11signd::schemes

int main(int argc, char** argv) {
  using namespace p11signd::schemes;
  const std::string mode = argc == 2 ? argv[1] : "";
  try {
    if (mode == "emit") {
      std::cout << emit().dump(2) << "\n";
      return 0;
    }
    if (mode == "jws") {
      print_jws();
      return 0;
    }
    if (mode == "verify") {
      const std::string text(std::istreambuf_iterator<char>(std::cin), {});
      std::cout << verify(Json::parse(text)).dump(2) << "\n";
      return 0;
    }
  } catch (const std::exception& e) {
    std::cerr << "jose_interop_tool: " << e.what() << "\n";
    return 1;
  }
  std::cerr << "usage: jose_interop_tool emit|verify|jws\n";
  return 2;
}
