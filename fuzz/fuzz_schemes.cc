// Each scheme's input parsing and canonicalisation. An input is a first line naming the scheme and
// what to do ("mypos sign", "jws verify", "amazonpay button-signature"), then the JSON input as the
// daemon would pass it on; naming the scheme, not numbering it, keeps the seeds valid as schemes
// are added. A scheme may refuse input only with a SchemeError (the daemon's 400/422); anything
// else escaping it would be a 500, so it is a finding. Signing goes to a fake signer that returns a
// fixed-size signature; verification uses a real RSA public key, so the fuzzer reaches the checks
// behind the signature too.

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <string_view>

#include "daemon/routes/json_text.h"
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
  }
  SchemeRegistry registry;
  KeySettings settings;
  PeerKey peer;
};

Bytes fake_sign(const SignRequest&, ByteView data) {
  Bytes sig(256, 0x5a);
  if (!data.empty()) sig[0] = data[0];
  return sig;
}

void run(const Scheme& scheme, const std::string& op, const Harness& h, const Json& input) {
  Json out;
  if (op == "sign") {
    out = scheme.sign(input, h.settings, SigningKey(fake_sign, KeyType::kRsa));
  } else if (op == "verify") {
    out = scheme.verify(input, h.peer);
    if (!out["valid"].is_boolean()) std::abort();
  } else {
    out = scheme.run_action(op, input, h.settings, SigningKey(fake_sign, KeyType::kRsa));
  }
  // What the daemon sends back must serialise, by the daemon's own rule (daemon/routes/json_text.h:
  // bytes that are not UTF-8, such as a decoded payload's, are escaped as \xNN instead of
  // throwing).
  (void)p11signd::daemon::dump_json(out);
}

}  // namespace
}  // namespace p11signd::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace p11signd::fuzz;
  static const Harness* harness = new Harness();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto line_end = text.find('\n');
  const auto space = text.find(' ');
  if (line_end == std::string_view::npos || space == std::string_view::npos || space > line_end) {
    return 0;
  }
  const auto* scheme = harness->registry.find(std::string(text.substr(0, space)));
  if (scheme == nullptr) return 0;
  const std::string op(text.substr(space + 1, line_end - space - 1));
  const auto input = p11signd::schemes::Json::parse(text.substr(line_end + 1), nullptr, false);
  if (input.is_discarded()) return 0;
  try {
    run(*scheme, op, *harness, input);
  } catch (const p11signd::schemes::SchemeError&) {
    // A named refusal: what the daemon turns into 400/422 (an unknown action among them).
  }
  return 0;
}
