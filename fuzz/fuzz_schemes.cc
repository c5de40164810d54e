// Each scheme's input parsing and canonicalisation: the first byte picks a scheme and what to do
// (sign, verify, or the scheme's own action), the rest is the JSON input as the daemon would pass
// it on. A scheme may refuse input only with a SchemeError (the daemon's 400/422); anything else
// escaping it would be a 500, so it is a finding. Signing goes to a fake signer that returns a
// fixed-size signature; verification uses a real RSA public key, so the fuzzer reaches the checks
// behind the signature too.

#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "daemon/json_text.h"
#include "fuzz/fuzz_settings.h"
#include "schemes/peer_key.h"
#include "schemes/registry.h"

namespace p11signd::fuzz {
namespace {

using namespace p11signd::schemes;

KeySettings key_settings() {
  KeySettings settings;
  std::istringstream lines(kSchemeSettingsIni);
  for (std::string line; std::getline(lines, line);) {
    const auto eq = line.find(" = ");
    settings[line.substr(0, eq)] = line.substr(eq + 3);
  }
  settings["carat.merchant-key-file"] = testdata("fuzz/carat-merchant-key");
  // The fake signer's signature never matches it: cavage's sign is refused at its last check, after
  // everything it parses.
  settings["cavage.certificate"] = testdata("schemes/testdata/cavage/draft12-test-certificate.pem");
  return settings;
}

struct Harness {
  Harness()
      : settings(key_settings()),
        peer(PeerKey::from_file(testdata("schemes/testdata/swifood/public_key.pem"))) {
    // A fixed clock keeps runs reproducible (carat, amazonpay and wechatpay put the time in).
    register_builtin_schemes(registry, [] {
      return std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
    });
    schemes = registry.list();
  }
  SchemeRegistry registry;
  std::vector<const Scheme*> schemes;
  KeySettings settings;
  PeerKey peer;
};

Bytes fake_sign(const SignRequest&, ByteView data) {
  Bytes sig(256, 0x5a);
  if (!data.empty()) sig[0] = data[0];
  return sig;
}

void run(const Harness& h, uint8_t choice, const Json& input) {
  const Scheme& scheme = *h.schemes[choice % h.schemes.size()];
  const unsigned op = (choice / h.schemes.size()) % 3;
  Json out;
  if (op == 0) {
    out = scheme.sign(input, h.settings, SigningKey(fake_sign, KeyType::kRsa));
  } else if (op == 1) {
    out = scheme.verify(input, h.peer);
    if (!out["valid"].is_boolean()) std::abort();
  } else {
    const auto actions = scheme.actions();
    const std::string action = actions.empty() ? "no-such-action" : actions.front();
    out = scheme.run_action(action, input, h.settings, SigningKey(fake_sign, KeyType::kRsa));
  }
  // What the daemon sends back must serialise, by the daemon's own rule (daemon/json_text.h: bytes
  // that are not UTF-8, such as a decoded payload's, are escaped as \xNN instead of throwing).
  (void)p11signd::daemon::dump_json(out);
}

}  // namespace
}  // namespace p11signd::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace p11signd::fuzz;
  static const Harness* harness = new Harness();
  if (size < 1) return 0;
  const auto input = p11signd::schemes::Json::parse(data + 1, data + size, nullptr, false);
  if (input.is_discarded()) return 0;
  try {
    run(*harness, data[0], input);
  } catch (const p11signd::schemes::SchemeError&) {
    // A named refusal: what the daemon turns into 400/422.
  }
  return 0;
}
