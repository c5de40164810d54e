// `p11sign bench` against a fake daemon. --count makes the runs exact, so the tests do not depend
// on timing.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <nlohmann/json.hpp>

#include "cli/testing/fake_daemon.h"
#include "cli/testing/run_p11sign.h"

namespace p11signd::cli::testing {
namespace {

using ::testing::Each;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::SizeIs;
using Json = nlohmann::json;

constexpr const char* kSigned = R"({"signature":"AAAA"})";

// A daemon that signs (with `signed_answer`) and whose verify route says `valid` of the sample.
std::function<CannedResponse(const RecordedRequest&)> signing_daemon(
    bool valid = true, std::string signed_answer = kSigned) {
  return [valid, signed_answer](const RecordedRequest& r) -> CannedResponse {
    if (r.target.ends_with("/verify"))
      return {200, valid ? R"({"valid":true})" : R"({"valid":false})"};
    return {200, signed_answer};
  };
}

std::vector<RecordedRequest> sign_requests(const FakeDaemon& daemon) {
  std::vector<RecordedRequest> out;
  for (const auto& r : daemon.requests()) {
    if (!r.target.ends_with("/verify")) out.push_back(r);
  }
  return out;
}

RunResult bench(const FakeDaemon& daemon, std::vector<std::string> args) {
  args.insert(args.begin(), {"--socket", daemon.socket_path(), "bench"});
  return run_p11sign(args);
}

TEST(BenchTest, CountedRunSignsExactlyThatOften) {
  FakeDaemon daemon;
  daemon.respond_with(signing_daemon());
  const RunResult r = bench(
      daemon, {"demo", "--count", "40", "--concurrency", "4", "--alg", "RSA-PSS-SHA256", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Json report = Json::parse(r.out);
  EXPECT_EQ(report["signatures"], 40);
  EXPECT_EQ(report["errors"], 0);
  EXPECT_EQ(report["concurrency"], 4);
  EXPECT_GT(report["per_second"].get<double>(), 0);
  EXPECT_LE(report["latency_ms"]["p50"].get<double>(), report["latency_ms"]["p99"].get<double>());
  const auto requests = sign_requests(daemon);
  ASSERT_THAT(requests, SizeIs(40));
  EXPECT_THAT(requests, Each(Field(&RecordedRequest::target, "/v1/keys/demo/sign")));
  EXPECT_EQ(Json::parse(requests.front().body)["alg"], "RSA-PSS-SHA256");
  // One sample, checked with what was signed and the signature that came back.
  const RecordedRequest check = daemon.requests().back();
  EXPECT_EQ(check.target, "/v1/keys/demo/verify");
  EXPECT_EQ(Json::parse(check.body)["signature"], "AAAA");
  EXPECT_EQ(Json::parse(check.body)["data"], Json::parse(requests.front().body)["data"]);
}

TEST(BenchTest, ASampleThatDoesNotVerifyFailsTheRun) {
  FakeDaemon daemon;
  daemon.respond_with(signing_daemon(/*valid=*/false));
  const RunResult r = bench(daemon, {"demo", "--count", "3", "--connections", "1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("the sample signature did not verify"));
}

TEST(BenchTest, AnAnswerWithoutTheSignatureIsAnError) {
  FakeDaemon daemon;
  daemon.respond_with(signing_daemon(true, R"({"status":"ok"})"));
  const RunResult r = bench(daemon, {"demo", "--count", "3", "--connections", "1", "--json"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(Json::parse(r.out)["signatures"], 0);
  EXPECT_EQ(Json::parse(r.out)["errors"], 3);
}

TEST(BenchTest, SchemeRunsSignThroughTheSchemeAndVerifyTheSample) {
  FakeDaemon daemon;
  daemon.respond_with(signing_daemon(
      true, R"({"signature":"AAAA","fields":[],"form":"IPCmethod=IPCPurchase&Signature=AAAA"})"));
  const RunResult r = bench(daemon, {"shop", "--scheme", "mypos", "--count", "4", "--connections",
                                     "2", "--duration", "9", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Json::parse(r.out)["scheme"], "mypos");
  const auto requests = sign_requests(daemon);
  ASSERT_THAT(requests, SizeIs(4));
  EXPECT_EQ(requests.front().target, "/v1/schemes/mypos/sign");
  EXPECT_EQ(Json::parse(requests.front().body)["key"], "shop");
  const RecordedRequest check = daemon.requests().back();
  EXPECT_EQ(check.target, "/v1/schemes/mypos/verify");
  EXPECT_EQ(Json::parse(check.body)["form"], "IPCmethod=IPCPurchase&Signature=AAAA");
}

TEST(BenchTest, HumanReport) {
  FakeDaemon daemon;
  daemon.respond_with(signing_daemon());
  const RunResult r = bench(daemon, {"demo", "--count", "5", "--concurrency", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("bench: key demo, RSA-SHA256, concurrency 1"));
  EXPECT_THAT(r.out, HasSubstr("signatures: 5 ("));
  EXPECT_THAT(r.out, HasSubstr("errors: 0"));
  EXPECT_THAT(r.out, HasSubstr("latency: p50 "));
  EXPECT_THAT(r.out, HasSubstr(" ms, p90 "));
}

TEST(BenchTest, TimedRunStops) {
  FakeDaemon daemon;
  daemon.respond_with(signing_daemon());
  const RunResult r = bench(daemon, {"demo", "--duration", "0.2", "--connections", "2", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GT(Json::parse(r.out)["signatures"].get<int>(), 0);
}

// The daemon may close a kept-alive connection after any answer; bench reconnects and goes on.
TEST(BenchTest, ReconnectsWhenTheDaemonClosesTheConnection) {
  FakeDaemon daemon;
  daemon.respond_with([](const RecordedRequest& r) -> CannedResponse {
    if (r.target.ends_with("/verify")) return {200, R"({"valid":true})"};
    return {200, kSigned, "application/json", /*close=*/true};
  });
  const RunResult r = bench(daemon, {"demo", "--count", "6", "--concurrency", "2", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Json::parse(r.out)["signatures"], 6);
}

TEST(BenchTest, ErrorsAreCountedAndFailTheRun) {
  FakeDaemon daemon;
  std::atomic<int> n{0};
  daemon.respond_with([&n](const RecordedRequest& r) -> CannedResponse {
    if (r.target.ends_with("/verify")) return {200, R"({"valid":true})"};
    if (++n % 2 == 0) return {503, R"({"error":{"code":"queue_full","message":"queue full"}})"};
    return {200, kSigned};
  });
  const RunResult r = bench(daemon, {"demo", "--count", "10", "--concurrency", "1", "--json"});
  EXPECT_EQ(r.exit_code, 1);
  const Json report = Json::parse(r.out);
  EXPECT_EQ(report["signatures"], 5);
  EXPECT_EQ(report["errors"], 5);
  EXPECT_EQ(report["errors_by_kind"], Json({{"503 queue_full", 5}}));
  EXPECT_THAT(r.err, HasSubstr("5 request(s) failed, the first with: 503 queue_full: queue full"));
}

TEST(BenchTest, BadArgumentsAreUsageErrors) {
  FakeDaemon daemon;
  EXPECT_EQ(bench(daemon, {}).exit_code, 2);
  EXPECT_EQ(bench(daemon, {"demo", "--concurrency", "0"}).exit_code, 2);
  EXPECT_EQ(bench(daemon, {"demo", "--seconds", "-1"}).exit_code, 2);
  EXPECT_EQ(bench(daemon, {"demo", "--count", "0"}).exit_code, 2);
  EXPECT_EQ(bench(daemon, {"demo", "--seconds", "1", "--duration", "1"}).exit_code, 2);
  EXPECT_EQ(bench(daemon, {"demo", "--scheme", "nosuch"}).exit_code, 2);
  EXPECT_EQ(bench(daemon, {"demo", "--in", "x.json"}).exit_code, 2);
  EXPECT_EQ(daemon.requests().size(), 0u);
}

// The usage says --alg A | --scheme S: a scheme picks its algorithm, so --alg beside it is refused.
TEST(BenchTest, AlgAndSchemeTogetherAreAUsageError) {
  FakeDaemon daemon;
  const RunResult r = bench(daemon, {"demo", "--alg", "RSA-SHA256", "--scheme", "mypos"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("p11sign: give --alg or --scheme, not both\n"));
  EXPECT_EQ(daemon.requests().size(), 0u);
}

TEST(BenchTest, SizeWithASchemeIsAUsageError) {
  FakeDaemon daemon;
  const RunResult r = bench(daemon, {"demo", "--scheme", "mypos", "--size", "4096"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--size is for --alg"));
  EXPECT_EQ(daemon.requests().size(), 0u);
}

}  // namespace
}  // namespace p11signd::cli::testing
