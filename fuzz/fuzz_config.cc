// The INI configuration: whatever the file holds, parse_config_text answers with a Config or with
// problems (one line each); it never throws or crashes. A configuration it accepts must build the
// access policy and the key list the daemon uses next.

#include <cstdlib>
#include <string>

#include "daemon/access/acl.h"
#include "daemon/config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace p11signd::daemon;
  const std::string text(reinterpret_cast<const char*>(data), size);
  const ConfigResult result = parse_config_text(text, "/fuzz/p11signd.conf");
  for (const auto& problem : result.problems) {
    if (problem.empty()) std::abort();  // every problem says something
  }
  if (!result.ok()) return 0;
  const Policy policy(result.config, {});
  Peer peer;
  peer.uid = 1000;
  for (const auto& spec : result.config.key_specs()) {
    (void)policy.deny_key(peer, spec.name, "raw");
  }
  (void)policy.deny_admin(peer);
  for (const auto& warning : config_warnings(result.config)) {
    if (warning.empty()) std::abort();
  }
  return 0;
}
