// The JOSE schemes' parsing of what they receive: ob-jws's detached JWS and its protected header,
// client-assertion's compact JWT and its claims. The first byte picks what the rest is:
//   0: an x-jws-signature as received (ob-jws verify over a fixed body)
//   1: an ob-jws protected header (JSON text), properly signed, so that the crit, b64, claim-type
//      and freshness rules behind the signature are reached
//   2: a client assertion or request object as received
//   3: client-assertion claims (JSON text), properly signed, for the claim rules behind it
//   4: the extra claims / request parameters a signing request carries (JSON)
// A refusal must be a SchemeError (the daemon's 400/422) or valid:false; anything else escaping is
// a finding.

#include <cstdlib>

#include "common/encoding.h"
#include "schemes/client_assertion.h"
#include "schemes/json_input.h"
#include "schemes/jws.h"
#include "schemes/ob_jws.h"
#include "schemes/peer_key.h"
#include "schemes/testing/test_key.h"

namespace p11signd::fuzz {
namespace {

using namespace p11signd::schemes;
using schemes::testing::TestKey;

const std::string kBody = R"({"Data":{"Amount":"1.00"}})";

struct Harness {
  Harness()
      : key(TestKey::from_pem(schemes::testing::read_testdata("swifood/private_key.pem"))),
        peer(key.peer()),
        ob(clock),
        ca(clock, [](std::size_t n) { return Bytes(n, 0x42); }) {}
  // A fixed clock keeps runs reproducible.
  Clock clock = [] {
    return std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
  };
  TestKey key;
  PeerKey peer;
  ObJwsScheme ob;
  ClientAssertionScheme ca;
};

void expect_answer(const Json& answer) {
  if (!answer["valid"].is_boolean() || !answer["reason"].is_string()) std::abort();
}

void run(const Harness& h, uint8_t choice, std::string_view rest) {
  switch (choice % 5) {
    case 0:
      expect_answer(h.ob.verify(Json{{"x-jws-signature", rest}, {"body", kBody}}, h.peer));
      break;
    case 1: {
      const std::string header_b64 = base64url_encode(as_bytes(rest));
      std::string why;
      const auto header = parse_bounded(rest, &why);
      if (!header || !header->is_object()) return;
      const std::string input = ob_jws_signing_input(header_b64, *header, as_bytes(kBody));
      const Bytes sig = h.key.sign(*jws_sign_request("PS256"), as_bytes(input));
      expect_answer(h.ob.verify(
          Json{{"x-jws-signature", header_b64 + ".." + base64url_encode(sig)}, {"body", kBody}},
          h.peer));
      break;
    }
    case 2:
      expect_answer(h.ca.verify(Json{{"client_assertion", rest}, {"aud", "A"}}, h.peer));
      expect_answer(h.ca.verify(Json{{"request", rest}, {"aud", "A"}}, h.peer));
      break;
    case 3: {
      const std::string jwt =
          jws_sign_compact(Json{{"alg", "RS256"}}, as_bytes(rest), h.key.signer());
      expect_answer(h.ca.verify(Json{{"client_assertion", jwt}, {"aud", "A"}}, h.peer));
      break;
    }
    default: {
      const Json extra = Json::parse(rest, nullptr, false);
      if (extra.is_discarded()) return;
      const KeySettings settings = {{"client-assertion.client-id", "c"},
                                    {"client-assertion.audience", "A"}};
      (void)h.ca.sign(Json{{"claims", extra}}, settings, h.key.signer());
      (void)h.ca.run_action("request-object", Json{{"params", extra}}, settings, h.key.signer());
    }
  }
}

}  // namespace
}  // namespace p11signd::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace p11signd::fuzz;
  static const Harness* harness = new Harness();
  if (size < 1) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    run(*harness, data[0], rest);
  } catch (const p11signd::schemes::SchemeError&) {
    // A named refusal: what the daemon turns into 400/422.
  }
  return 0;
}
