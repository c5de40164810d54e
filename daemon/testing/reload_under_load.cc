#include "daemon/testing/reload_under_load.h"

#include <atomic>
#include <thread>
#include <vector>

#include "common/encoding.h"
#include "common/public_key.h"

namespace p11signd::daemon::testing {
namespace {

struct Counters {
  std::atomic<int> allowed{0}, other_key{0}, refused{0}, key_changed{0}, other{0};
};

void count(Counters& c, const Response& res, const Bytes& allowed_spki, const std::string& data) {
  switch (res.result_int()) {
    case 200: {
      const auto body = body_json(res);
      const auto sig = base64_decode(body.value("signature", ""));
      const bool by_allowed =
          sig && verify_signature(allowed_spki, SignRequest{}, as_bytes(data), *sig);
      (by_allowed ? c.allowed : c.other_key)++;
      break;
    }
    case 403:
      c.refused++;
      break;
    case 409:
      c.key_changed++;
      break;
    default:
      c.other++;
  }
}

}  // namespace

ReloadOutcome sign_while_reloading(TestDaemon& daemon, const ReloadUnderLoad& plan) {
  Counters c;
  std::atomic<bool> done{false};
  std::vector<std::thread> clients;
  for (int i = 0; i < plan.clients; ++i) {
    clients.emplace_back([&, i] {
      Client client(daemon.socket());
      for (int n = 0; !done; ++n) {
        const std::string data = std::to_string(i) + "-" + std::to_string(n);
        count(c, client.post("/v1/keys/" + plan.key + "/sign", sign_body(data)), plan.allowed_spki,
              data);
      }
    });
  }
  ReloadOutcome out;
  for (int r = 0; r < plan.reloads; ++r) {
    // The last reload leaves the allowed configuration in place.
    daemon.write_config(r % 2 ? plan.allowed_sections : plan.refused_sections);
    if (daemon.daemon().reload_now().empty()) ++out.reloads;
  }
  done = true;
  for (auto& t : clients) t.join();
  out.signed_by_allowed_key = c.allowed;
  out.signed_by_other_key = c.other_key;
  out.refused = c.refused;
  out.key_changed = c.key_changed;
  out.other = c.other;
  return out;
}

}  // namespace p11signd::daemon::testing
