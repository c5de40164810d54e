#include "daemon/testing/rotation_under_load.h"

#include <atomic>
#include <map>
#include <thread>

#include "common/digest.h"
#include "common/encoding.h"
#include "common/public_key.h"

namespace p11signd::daemon::testing {
namespace {

using Json = nlohmann::json;

// How long the admin steps wait for the clients to make signatures before giving up (a daemon
// that stopped answering would otherwise hang the test).
constexpr auto kPhaseLimit = std::chrono::seconds(120);

struct Shared {
  std::atomic<int> phase{kSteady};
  std::atomic<int> answered{0};
  std::atomic<int> clients_running{0};
  std::atomic<bool> done{false};
};

SignedAnswer sign_once(Client& client, const std::string& key, Shared& shared, int id, int n) {
  SignedAnswer a;
  a.client = id;
  a.data = "rotation-" + std::to_string(id) + "-" + std::to_string(n);
  a.phase_sent = shared.phase.load();
  const Response res = client.post("/v1/keys/" + key + "/sign", sign_body(a.data));
  a.phase_answered = shared.phase.load();
  a.status = res.result_int();
  const Json body = Json::parse(res.body(), nullptr, false);
  if (body.is_object() && body.contains("key_version") && body["key_version"].is_number()) {
    a.key_version = body["key_version"].get<unsigned>();
  }
  if (body.is_object() && body.contains("signature") && body["signature"].is_string()) {
    a.signature = base64_decode(body["signature"].get<std::string>()).value_or(Bytes{});
  }
  return a;
}

void run_client(TestDaemon& daemon, const RotationUnderLoad& plan, Shared& shared, int id,
                std::vector<SignedAnswer>& answers) {
  try {
    Client client(daemon.socket());
    for (int n = 0; !shared.done; ++n) {
      answers.push_back(sign_once(client, plan.key, shared, id, n));
      ++shared.answered;
    }
  } catch (const std::exception& e) {  // the connection broke: an error like any other
    SignedAnswer broken;
    broken.client = id;
    broken.data = std::string("connection lost: ") + e.what();
    answers.push_back(broken);
  }
  --shared.clients_running;
}

// Waits until the clients have had `more` answers since now.
bool wait_for_answers(Shared& shared, int more) {
  const int target = shared.answered + more;
  const auto give_up = std::chrono::steady_clock::now() + kPhaseLimit;
  while (shared.answered < target) {
    if (shared.clients_running == 0 || std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// The active version and the highest one of a listing.
std::pair<unsigned, unsigned> active_and_newest(const Response& res) {
  unsigned active = 0;
  unsigned newest = 0;
  const Json listing = Json::parse(res.body(), nullptr, false);
  if (!listing.is_object() || !listing.contains("versions")) return {0, 0};
  for (const Json& v : listing["versions"]) {
    const unsigned number = v.value("version", 0u);
    if (v.value("state", "") == "active") active = number;
    newest = std::max(newest, number);
  }
  return {active, newest};
}

// One admin step: the phase moves before the request goes out and after its answer is back.
Response admin_step(Client& admin, Shared& shared, RotationPhase sent, const std::string& target,
                    RotationOutcome& out) {
  shared.phase = sent;
  Response res = admin.post(target, "{}");
  shared.phase = sent + 1;
  if (res.result_int() != 200 && res.result_int() != 201) {
    out.admin_failures.push_back("POST " + target + ": " + std::to_string(res.result_int()) + " " +
                                 res.body());
  }
  return res;
}

}  // namespace

RotationOutcome sign_while_rotating(TestDaemon& daemon, const RotationUnderLoad& plan) {
  RotationOutcome out;
  Client admin(daemon.socket());
  const std::string versions = "/v1/keys/" + plan.key + "/versions";
  out.old_version = active_and_newest(admin.get(versions)).first;
  Shared shared;
  std::vector<std::vector<SignedAnswer>> per_client(plan.clients);
  std::vector<std::thread> clients;
  shared.clients_running = plan.clients;
  for (int i = 0; i < plan.clients; ++i) {
    clients.emplace_back(
        [&, i] { run_client(daemon, plan, shared, i, per_client[static_cast<std::size_t>(i)]); });
  }
  const auto under_load = [&](const char* before) {
    if (!wait_for_answers(shared, plan.signatures_per_phase)) {
      out.admin_failures.push_back(std::string("no signatures came before ") + before);
    }
  };
  under_load("the rotation");
  out.new_version = active_and_newest(admin_step(admin, shared, kRotateSent, versions, out)).second;
  const std::string next = versions + "/" + std::to_string(out.new_version);
  under_load("the activation");
  admin_step(admin, shared, kActivateSent, next + "/activate", out);
  const std::string previous = versions + "/" + std::to_string(out.old_version);
  under_load("the retirement");
  admin_step(admin, shared, kRetireSent, previous + "/retire", out);
  under_load("the end");
  shared.done = true;
  for (auto& t : clients) t.join();
  for (auto& answers : per_client) {
    out.answers.insert(out.answers.end(), answers.begin(), answers.end());
  }
  return out;
}

namespace {

void check_answer(const SignedAnswer& a, const RotationOutcome& out, const Bytes& old_spki,
                  const Bytes& new_spki, std::vector<std::string>& problems) {
  const std::string which = "client " + std::to_string(a.client) + " '" + a.data + "': ";
  if (a.status != 200) return problems.push_back(which + "status " + std::to_string(a.status));
  if (a.key_version != out.old_version && a.key_version != out.new_version) {
    return problems.push_back(which + "names version " + std::to_string(a.key_version));
  }
  const Bytes& spki = a.key_version == out.old_version ? old_spki : new_spki;
  if (!verify_signature(spki, SignRequest{}, as_bytes(a.data), a.signature)) {
    problems.push_back(which + "does not verify with version " + std::to_string(a.key_version));
  }
  if (a.phase_answered < kActivateSent && a.key_version != out.old_version) {
    problems.push_back(which + "answered before the activation was asked, signed by version " +
                       std::to_string(a.key_version));
  }
  if (a.phase_sent >= kActivated && a.key_version != out.new_version) {
    problems.push_back(which + "sent after the activation was answered, signed by version " +
                       std::to_string(a.key_version));
  }
}

// One client's requests follow each other: once its answer named the new version, none after it
// may name the old one.
void check_order(const std::vector<SignedAnswer>& answers, const RotationOutcome& out,
                 std::vector<std::string>& problems) {
  std::map<int, unsigned> last;
  for (const SignedAnswer& a : answers) {
    if (a.status != 200) continue;
    if (last[a.client] == out.new_version && a.key_version == out.old_version) {
      problems.push_back("client " + std::to_string(a.client) + " '" + a.data +
                         "': the old version signed after the new one had");
    }
    last[a.client] = a.key_version;
  }
}

std::optional<std::uint64_t> seq_of(const std::vector<Json>& records, const std::string& op,
                                    const std::string& key, unsigned version) {
  for (const Json& r : records) {
    if (r.value("op", "") == op && r.value("key", "") == key &&
        r.value("key_version", 0u) == version && r.value("result", "") == "ok") {
      return r.value("seq", std::uint64_t{0});
    }
  }
  return std::nullopt;
}

void check_audit(const RotationOutcome& out, const std::vector<Json>& records,
                 const std::string& key, std::vector<std::string>& problems) {
  const auto activated = seq_of(records, "activate", key, out.new_version);
  if (!activated) return problems.push_back("the audit log has no activate line");
  std::map<std::string, const SignedAnswer*> by_digest;
  for (const SignedAnswer& a : out.answers) by_digest[sha256_hex(as_bytes(a.data))] = &a;
  std::map<int, int> old_after_activation;
  std::size_t signed_lines = 0;
  for (const Json& r : records) {
    // A signature that lost the race with the activation is redone with the new version; its first
    // attempt has a line of its own, with an error result: nothing was signed then.
    if (r.value("op", "") != "sign" || r.value("key", "") != key) continue;
    if (r.value("result", "") != "ok") continue;
    const auto it = by_digest.find(r.value("data_sha256", ""));
    if (it == by_digest.end()) continue;  // not one of these clients' (a health check)
    const SignedAnswer& a = *it->second;
    ++signed_lines;
    const unsigned version = r.value("key_version", 0u);
    if (version != a.key_version) {
      problems.push_back("'" + a.data + "': the answer names version " +
                         std::to_string(a.key_version) + ", its audit line " +
                         std::to_string(version));
    }
    if (version != out.old_version || r.value("seq", std::uint64_t{0}) < *activated) continue;
    // The old version's line after the activation's: only a request already in flight then.
    if (a.phase_sent >= kActivated || ++old_after_activation[a.client] > 1) {
      problems.push_back("'" + a.data + "': signed by the old version, audited after the " +
                         "activation, yet not in flight when it happened");
    }
  }
  if (signed_lines != out.answers.size()) {
    problems.push_back(std::to_string(out.answers.size()) + " answers but " +
                       std::to_string(signed_lines) + " signatures in the audit log");
  }
}

}  // namespace

std::vector<std::string> rotation_problems(const RotationOutcome& out, const Bytes& old_spki,
                                           const Bytes& new_spki,
                                           const std::vector<nlohmann::json>& audit_records,
                                           const std::string& key) {
  std::vector<std::string> problems = out.admin_failures;
  if (out.new_version <= out.old_version) problems.push_back("no new version was made");
  for (const SignedAnswer& a : out.answers) check_answer(a, out, old_spki, new_spki, problems);
  check_order(out.answers, out, problems);
  check_audit(out, audit_records, key, problems);
  return problems;
}

}  // namespace p11signd::daemon::testing
