// Access holds for admins too, nothing signs by accident, a refusal tells the refused nothing about
// who is allowed, and a reload never pairs one configuration's key with the other's rule.
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <iostream>
#include <thread>

#include "common/encoding.h"
#include "common/public_key.h"
#include "tests/hostile/hostile_daemon.h"

namespace p11signd::hostile {
namespace {

using daemon::testing::body_json;
using daemon::testing::Client;
using daemon::testing::sign_body;

const std::string kMe = std::to_string(::getuid());
const std::string kOther = std::to_string(kOtherUid);

bool any_result_holds(const std::vector<nlohmann::json>& records, const std::string& text) {
  for (const auto& r : records) {
    if (r.value("result", "").find(text) != std::string::npos) return true;
  }
  return false;
}

// An admin whom the key's ACL does not name makes neither a certificate nor a CSR with it (either
// is a signature by the key); each refusal is audited with the rule, and the answer names no uid.
TEST(HostileAccess, AnAdminOutsideTheKeysAclMakesNoCertificateOrCsr) {
  HostileDaemon::Options o;
  o.daemon_extra = "admin-uids = " + kMe + "\n";
  o.key_sections = HostileDaemon::key_section("shop", kOtherUid);
  HostileDaemon d(o);
  Client c(d.socket());
  for (const char* op : {"certificate", "csr"}) {
    auto res = c.post(std::string("/v1/keys/shop/") + op, R"({"subject":"CN=stolen"})");
    EXPECT_EQ(res.result_int(), 403u) << op << ": " << res.body();
    EXPECT_EQ(res.body().find(kOther), std::string::npos) << res.body();
  }
  EXPECT_EQ(c.get("/v1/keys/shop/certificate").result_int(), 404u);  // none was stored
  const auto denials = d.audit_records("deny");
  ASSERT_EQ(denials.size(), 2u);
  EXPECT_TRUE(any_result_holds(denials, "allow-uids = " + kOther)) << denials[0].dump();
  EXPECT_TRUE(d.audit_records("certificate").empty());
  EXPECT_TRUE(d.audit_records("csr").empty());
  EXPECT_TRUE(d.running());
}

// A certificate on the token may be the one a provider issued: a second one is refused (409,
// naming the field that allows it) and replaces the first only with "replace": true.
TEST(HostileAccess, AStoredCertificateIsReplacedOnlyWhenAskedTo) {
  HostileDaemon::Options o;
  o.daemon_extra = "admin-uids = " + kMe + "\n";
  o.key_sections = HostileDaemon::key_section("shop", ::getuid());
  HostileDaemon d(o);
  Client c(d.socket());
  auto first = c.post("/v1/keys/shop/certificate", R"({"subject":"CN=issued"})");
  ASSERT_EQ(first.result_int(), 201u) << first.body();
  auto second = c.post("/v1/keys/shop/certificate", R"({"subject":"CN=overwrite"})");
  EXPECT_EQ(second.result_int(), 409u) << second.body();
  EXPECT_NE(second.body().find("replace"), std::string::npos) << second.body();
  EXPECT_EQ(c.get("/v1/keys/shop/certificate").body(), first.body());
  auto replaced = c.post("/v1/keys/shop/certificate", R"({"subject":"CN=new","replace":true})");
  ASSERT_EQ(replaced.result_int(), 201u) << replaced.body();
  EXPECT_EQ(c.get("/v1/keys/shop/certificate").body(), replaced.body());
}

// A key section without "schemes =" is no signing oracle: raw (any bytes) and every scheme are
// refused and audited, and the daemon's log says why at start.
TEST(HostileAccess, AKeyWithoutSchemesSignsForNone) {
  HostileDaemon::Options o;
  o.key_sections = "[key.shop]\nlabel = shop\nallow-uids = " + kMe + "\n";
  HostileDaemon d(o);
  Client c(d.socket());
  auto raw = c.post("/v1/keys/shop/sign", sign_body("any bytes at all"));
  EXPECT_EQ(raw.result_int(), 403u) << raw.body();
  auto jws = c.post("/v1/schemes/jws/sign", R"({"key":"shop","payload":{"a":1}})");
  EXPECT_EQ(jws.result_int(), 403u) << jws.body();
  EXPECT_EQ(d.audit_records("deny").size(), 2u);
  EXPECT_TRUE(d.audit_records("sign", "ok").empty());
  EXPECT_NE(d.log().find("warning: [key.shop] has no 'schemes =' line"), std::string::npos)
      << d.log();
}

// What another uid learns from its refusals: that it is refused. Not the uids and groups a key
// allows, nor who the admins are.
TEST(HostileAccess, ARefusalNamesNoAllowedUidOrGroup) {
  HostileDaemon::Options o;
  o.daemon_extra = "admin-uids = " + kMe + ", 4711\nadmin-groups = 4712\n";
  o.key_sections = "[key.shop]\nlabel = shop\nallow-uids = " + kMe +
                   ", 4713\nallow-groups = 4714\nschemes = raw\n";
  HostileDaemon d(o);
  const int leaked = run_as(kOtherUid, kOtherGid, [&] {
    Client other(d.socket());
    std::string answers = other.post("/v1/keys/shop/sign", sign_body("x")).body();
    answers += other.post("/v1/keys", R"({"name":"mine"})").body();
    answers += other.post("/v1/keys/shop/csr", R"({"subject":"CN=x"})").body();
    answers += other.get("/v1/keys/shop/public-key").body();
    int found = 0;
    for (const char* secret : {"4711", "4712", "4713", "4714", "allow-", "admin-"}) {
      if (answers.find(secret) != std::string::npos) ++found;
    }
    return answers.find("forbidden") == std::string::npos ? 100 : found;
  });
  EXPECT_EQ(leaked, 0) << "a refusal named an allowed uid or group (100: no refusal at all)";
  EXPECT_EQ(d.audit_records("deny").size(), 4u);
  EXPECT_TRUE(any_result_holds(d.audit_records("deny"), "allow-groups = 4714"));
  EXPECT_TRUE(any_result_holds(d.audit_records("deny"), "admin-groups = 4712"));
}

// Reloads alternate between two configurations: `k` is key a for this uid, or key b for another
// uid. Clients sign all along; every reload is waited for until it shows (a probe is refused under
// the second, signs under the first). No 200 may be a signature by b: that would be the new key
// under the old rule, or the old rule's admission served by the new key.
TEST(HostileAccess, ReloadsUnderLoadNeverPairAKeyWithTheOtherConfigurationsRule) {
  const std::string allowed = "[key.k]\nlabel = a\nallow-uids = " + kMe + "\nschemes = raw\n";
  const std::string refused = "[key.k]\nlabel = b\nallow-uids = " + kOther + "\nschemes = raw\n";
  HostileDaemon::Options o;
  o.daemon_extra = "workers = 2\n";
  o.key_sections = allowed;
  o.token_keys = {"a", "b"};
  HostileDaemon d(o);
  Client probe(d.socket());
  auto der = probe.get("/v1/keys/k/public-key?format=der-base64");
  ASSERT_EQ(der.result_int(), 200u) << der.body();
  const Bytes spki_a = *base64_decode(body_json(der)["public_key"].get<std::string>());

  std::atomic<bool> done{false};
  std::atomic<int> by_a{0}, by_other{0}, refusals{0}, changed{0}, unexpected{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < 6; ++i) {
    clients.emplace_back([&, i] {
      Client c(d.socket());
      for (int n = 0; !done; ++n) {
        const std::string data = std::to_string(i) + ":" + std::to_string(n);
        auto res = c.post("/v1/keys/k/sign", sign_body(data));
        if (res.result_int() == 200) {
          const auto sig = base64_decode(body_json(res).value("signature", ""));
          const bool ok = sig && verify_signature(spki_a, SignRequest{}, as_bytes(data), *sig);
          (ok ? by_a : by_other)++;
        } else if (res.result_int() == 403) {
          refusals++;
        } else if (res.result_int() == 409) {
          changed++;
        } else {
          unexpected++;
        }
      }
    });
  }
  const auto wait_for = [&](unsigned status) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      if (probe.post("/v1/keys/k/sign", sign_body("probe")).result_int() == status) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  };
  int applied = 0;
  for (int r = 0; r < 10; ++r) {
    d.reload(refused);
    applied += wait_for(403);
    d.reload(allowed);
    applied += wait_for(200);
  }
  done = true;
  for (auto& t : clients) t.join();
  std::cout << "signed by a: " << by_a << ", refused: " << refusals
            << ", key changed while queued: " << changed << '\n';
  EXPECT_EQ(applied, 20) << d.log();
  EXPECT_EQ(by_other, 0);
  EXPECT_EQ(unexpected, 0);
  EXPECT_GT(by_a, 0);
  EXPECT_TRUE(d.running());
}

}  // namespace
}  // namespace p11signd::hostile
