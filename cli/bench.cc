// `p11sign bench`: signatures per second through the socket, with latency percentiles. It is the
// number to compare with signing in process on the same token (SoftHSM RSA-2048: ~1,500/s per
// core), so the loop adds as little as it can: the request body is built once, answers are checked
// by status only, each worker keeps one connection alive.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>
#include <vector>

#include "cli/commands.h"
#include "cli/daemon_call.h"
#include "cli/errors.h"
#include "common/encoding.h"

namespace p11signd::cli {
namespace {

namespace po = boost::program_options;
using Clock = std::chrono::steady_clock;

struct BenchPlan {
  std::string key;
  std::string alg;
  std::string target;
  std::string body;
  unsigned concurrency = 1;
  std::chrono::duration<double> duration{5.0};
  std::optional<std::int64_t> count;  // total requests; replaces the duration when set
};

struct WorkerResult {
  std::vector<double> latencies_ms;  // successful signatures only
  std::uint64_t errors = 0;
  std::string first_error;
};

struct Summary {
  double seconds = 0;
  std::uint64_t signatures = 0;
  std::uint64_t errors = 0;
  std::string first_error;
  double per_second = 0;
  double p50 = 0, p99 = 0, max = 0;  // milliseconds, successful requests only
};

void record_error(WorkerResult& r, const std::string& what) {
  if (r.errors++ == 0) r.first_error = what;
}

void run_worker(const Context& ctx, const BenchPlan& plan, Clock::time_point deadline,
                std::atomic<std::int64_t>& remaining, WorkerResult& out) {
  try {
    HttpClient client(ctx.socket_path, ctx.timeout);
    while (plan.count ? remaining.fetch_sub(1) > 0 : Clock::now() < deadline) {
      const Clock::time_point start = Clock::now();
      const HttpResponse res = client.request("POST", plan.target, plan.body);
      const std::chrono::duration<double, std::milli> took = Clock::now() - start;
      if (res.ok()) {
        out.latencies_ms.push_back(took.count());
      } else {
        record_error(out, describe_error(res));
      }
    }
  } catch (
      const std::exception& e) {  // the connection is gone: this worker stops, the others go on
    record_error(out, e.what());
  }
}

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

BenchPlan make_plan(const ParsedArgs& p) {
  BenchPlan plan;
  const std::string data(p.vm["size"].as<std::size_t>(), 'x');
  plan.key = p.positional("name");
  plan.alg = *p.get("alg");
  plan.target = key_path(plan.key, "/sign");
  plan.body = nlohmann::json{{"alg", plan.alg}, {"data", base64_encode(as_bytes(data))}}.dump();
  plan.concurrency = p.vm["concurrency"].as<unsigned>();
  plan.duration = std::chrono::duration<double>(p.vm["seconds"].as<double>());
  if (p.has("count")) plan.count = p.vm["count"].as<std::int64_t>();
  if (plan.concurrency < 1 || plan.concurrency > 1024) throw UsageError("--concurrency: 1 to 1024");
  if (plan.duration.count() <= 0 || plan.duration.count() > 86400) {
    throw UsageError("--seconds: more than 0, at most 86400");
  }
  if (plan.count && *plan.count < 1) throw UsageError("--count must be at least 1");
  if (data.size() > (1u << 20)) throw UsageError("--size: at most 1048576 bytes");
  return plan;
}

Summary summarize(const std::vector<WorkerResult>& results, double seconds) {
  Summary sum;
  std::vector<double> ms;
  for (const WorkerResult& r : results) {
    ms.insert(ms.end(), r.latencies_ms.begin(), r.latencies_ms.end());
    if (r.errors && !sum.errors) sum.first_error = r.first_error;
    sum.errors += r.errors;
  }
  std::sort(ms.begin(), ms.end());
  sum.seconds = seconds;
  sum.signatures = ms.size();
  sum.per_second = seconds > 0 ? static_cast<double>(ms.size()) / seconds : 0;
  sum.p50 = percentile(ms, 0.5);
  sum.p99 = percentile(ms, 0.99);
  sum.max = ms.empty() ? 0 : ms.back();
  return sum;
}

void print_json_report(std::ostream& out, const BenchPlan& plan, const Summary& s) {
  const nlohmann::ordered_json report = {
      {"key", plan.key},
      {"alg", plan.alg},
      {"concurrency", plan.concurrency},
      {"seconds", s.seconds},
      {"signatures", s.signatures},
      {"errors", s.errors},
      {"per_second", s.per_second},
      {"latency_ms", {{"p50", s.p50}, {"p99", s.p99}, {"max", s.max}}}};
  out << report.dump(2) << '\n';
}

void print_text_report(std::ostream& out, const BenchPlan& plan, const Summary& s) {
  out << std::fixed << std::setprecision(2) << "bench: key " << plan.key << ", " << plan.alg
      << ", concurrency " << plan.concurrency << ", " << s.seconds << " s\n";
  out << "signatures: " << s.signatures << " (" << std::setprecision(1) << s.per_second
      << "/s), errors: " << s.errors << '\n';
  out << std::setprecision(2) << "latency: p50 " << s.p50 << " ms, p99 " << s.p99 << " ms, max "
      << s.max << " ms\n";
}

po::options_description bench_options() {
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  po::options_description opts;
  opts.add_options()("alg", po::value<std::string>()->default_value("RSA-SHA256"))(
      "seconds", po::value<double>()->default_value(5.0))("count", po::value<std::int64_t>())(
      "concurrency", po::value<unsigned>()->default_value(cores))(
      "size", po::value<std::size_t>()->default_value(32))("json", po::bool_switch());
  return opts;
}

}  // namespace

int bench_command(const Args& args, Context& ctx) {
  const ParsedArgs p = parse_args(args, bench_options(), {"name"});
  const BenchPlan plan = make_plan(p);
  std::vector<WorkerResult> results(plan.concurrency);
  std::atomic<std::int64_t> remaining{plan.count.value_or(0)};
  const Clock::time_point start = Clock::now();
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(plan.duration);
  {
    std::vector<std::jthread> workers;
    for (WorkerResult& r : results) {
      workers.emplace_back(run_worker, std::cref(ctx), std::cref(plan), deadline,
                           std::ref(remaining), std::ref(r));
    }
  }  // jthreads join here
  const std::chrono::duration<double> elapsed = Clock::now() - start;
  const Summary summary = summarize(results, elapsed.count());
  if (p.vm["json"].as<bool>()) {
    print_json_report(ctx.out, plan, summary);
  } else {
    print_text_report(ctx.out, plan, summary);
  }
  if (summary.errors) {
    throw Failure(std::to_string(summary.errors) +
                  " request(s) failed, the first with: " + summary.first_error);
  }
  return 0;
}

}  // namespace p11signd::cli
