// The JOSE schemes (ob-jws, client-assertion) on the command line, for checking them against an
// implementation we did not write (tests/interop/jose_interop.py, with jwcrypto):
//   jose_interop_tool emit    signs with a fresh in-memory RSA key and prints
//                             {"public_key_pem", "now", "cases": [{"name","scheme","answer",...}]}
//   jose_interop_tool verify  reads {"public_key_pem", "cases": [{"name","scheme","input"}]} and
//                             prints {"NAME": verify answer, ...}
// Test-only: the key is TestKey's, never a token's.

#include <openssl/pem.h>

#include <iostream>
#include <iterator>
#include <memory>

#include "common/encoding.h"
#include "common/openssl_ptr.h"
#include "schemes/client_assertion.h"
#include "schemes/ob_jws.h"
#include "schemes/peer_key.h"
#include "schemes/testing/test_key.h"

namespace p11signd::schemes {
namespace {

using testing::TestKey;

const std::string kBody = R"({"Data":{"Initiation":{"InstructionIdentification":"ACME412",)"
                          R"("Note":"a.b ü \"q\""}},"Risk":{}})";

std::string public_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key) != 1) throw std::runtime_error("PEM export");
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

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
  return Json{{"public_key_pem", public_pem(key.get())}, {"now", now_seconds()}, {"cases", cases}};
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
    if (mode == "verify") {
      const std::string text(std::istreambuf_iterator<char>(std::cin), {});
      std::cout << verify(Json::parse(text)).dump(2) << "\n";
      return 0;
    }
  } catch (const std::exception& e) {
    std::cerr << "jose_interop_tool: " << e.what() << "\n";
    return 1;
  }
  std::cerr << "usage: jose_interop_tool emit|verify\n";
  return 2;
}
