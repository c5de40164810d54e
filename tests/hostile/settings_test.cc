// Key settings a request may make up for (mypos.wallet-number: the request's WalletNumber), left
// out of the configuration against a real p11signd: the start and each reload warn, naming the
// field every request must then carry, and a request without it is refused naming both.
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "tests/hostile/hostile_daemon.h"

namespace p11signd::hostile {
namespace {

using daemon::testing::Client;

const std::string kMe = std::to_string(::getuid());

// The daemon's log once it holds needle, or as it is after 30 s (a reload is answered
// asynchronously).
std::string log_with(const HostileDaemon& d, const std::string& needle) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  std::string log = d.log();
  while (log.find(needle) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    log = d.log();
  }
  return log;
}

TEST(HostileSettings, AnUnsetSettingARequestMustCarryIsWarnedAtStartAndReload) {
  HostileDaemon::Options o;
  o.key_sections = "[key.shop]\nlabel = shop\nallow-uids = " + kMe +
                   "\nschemes = mypos\nmypos.sid = 000000000000010\nmypos.key-index = 1\n";
  HostileDaemon d(o);
  const std::string wallet =
      "[key.shop] mypos.wallet-number is not set: every mypos request "
      "must carry fields.WalletNumber itself";
  EXPECT_NE(log_with(d, wallet).find("warning: "), std::string::npos) << d.log();
  EXPECT_NE(d.log().find(wallet), std::string::npos) << d.log();
  EXPECT_EQ(d.log().find("mypos.sid is not set"), std::string::npos) << d.log();

  Client c(d.socket());
  auto without =
      c.post("/v1/schemes/mypos/sign",
             R"({"key":"shop","fields":[["IPCmethod","IPCPurchase"],["Amount","1.00"]]})");
  EXPECT_EQ(without.result_int(), 422u) << without.body();
  EXPECT_NE(without.body().find("fields.WalletNumber"), std::string::npos) << without.body();
  EXPECT_NE(without.body().find("mypos.wallet-number"), std::string::npos) << without.body();
  auto with =
      c.post("/v1/schemes/mypos/sign", R"({"key":"shop","fields":[["IPCmethod","IPCPurchase"],)"
                                       R"(["WalletNumber","61938166610"],["Amount","1.00"]]})");
  EXPECT_EQ(with.result_int(), 200u) << with.body();

  d.reload("[key.shop]\nlabel = shop\nallow-uids = " + kMe + "\nschemes = alipay\n");
  const std::string app_id =
      "[key.shop] alipay.app-id is not set: every alipay request must "
      "carry params.app_id itself";
  EXPECT_NE(log_with(d, app_id).find(app_id), std::string::npos) << d.log();
}

}  // namespace
}  // namespace p11signd::hostile
