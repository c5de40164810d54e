// `p11sign bench`: signatures per second through the socket, with latency percentiles. It is the
// number to compare with signing in process on the same token (SoftHSM RSA-2048: ~1,350/s per
// core), so the loop adds as little as it can: the request body is built once, an answer counts
// when it is a 200 holding the signature field (found, not parsed), each connection is kept alive
// and has its own thread. One answer is verified through the daemon's verify route after the run.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <iomanip>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>
#include <vector>

#include "cli/bench_target.h"
#include "cli/commands.h"
#include "cli/daemon_call.h"
#include "cli/errors.h"
#include "cli/input.h"
#include "common/encoding.h"

namespace p11signd::cli {
namespace {

namespace po = boost::program_options;
using Clock = std::chrono::steady_clock;

struct BenchPlan {
  BenchRequest request;
  BenchTarget target;
  unsigned concurrency = 1;
  std::chrono::duration<double> duration{5.0};
  std::optional<std::int64_t> count;  // total requests; replaces the duration when set
};

struct WorkerResult {
  std::vector<double> latencies_ms;  // successful signatures only
  std::uint64_t errors = 0;
  std::string first_error;
  std::map<std::string, std::uint64_t> error_kinds;  // "503 queue_full", "connection", ...
  // The last signed answer, verified after the run: made by the key version active at the end,
  // which is still published when a rotation happened during the run (the first may be retired).
  std::string sample;
};

struct Summary {
  double seconds = 0;
  std::uint64_t signatures = 0;
  std::uint64_t errors = 0;
  std::string first_error;
  std::map<std::string, std::uint64_t> error_kinds;
  double per_second = 0;
  double p50 = 0, p90 = 0, p99 = 0, max = 0;  // milliseconds, successful requests only
};

// kind groups errors for the report: the HTTP status and error code, or how the transport failed.
void record_error(WorkerResult& r, const std::string& what, const std::string& kind) {
  ++r.error_kinds[kind];
  if (r.errors++ == 0) r.first_error = what;
}

void run_worker(const Context& ctx, const BenchPlan& plan, Clock::time_point deadline,
                std::atomic<std::int64_t>& remaining, WorkerResult& out) {
  try {
    HttpClient client(ctx.socket_path, ctx.timeout);
    while (plan.count ? remaining.fetch_sub(1) > 0 : Clock::now() < deadline) {
      const Clock::time_point start = Clock::now();
      const HttpResponse res = client.request("POST", plan.target.sign_path, plan.target.body);
      const std::chrono::duration<double, std::milli> took = Clock::now() - start;
      if (res.ok() && res.body.find(plan.target.signed_marker) != std::string::npos) {
        out.latencies_ms.push_back(took.count());
        out.sample = res.body;
      } else if (res.ok()) {
        record_error(out,
                     "200 without " + plan.target.signed_marker + " " + res.body.substr(0, 200),
                     "200 without " + plan.target.signed_marker);
      } else {
        const std::string what = describe_error(res);
        record_error(out, what, what.substr(0, what.find(':')));
      }
    }
  } catch (
      const std::exception& e) {  // the connection is gone: this worker stops, the others go on
    record_error(out, e.what(), "connection");
  }
}

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

// --connections and --duration are the names the benchmark scripts use; --concurrency and
// --seconds came first and stay.
template <class T>
T either(const ParsedArgs& p, const char* name, const char* alias) {
  if (p.has(name) && !p.vm[name].defaulted() && p.has(alias)) {
    throw UsageError(std::string("give --") + name + " or --" + alias + ", not both");
  }
  return p.has(alias) ? p.vm[alias].as<T>() : p.vm[name].as<T>();
}

BenchPlan make_plan(const ParsedArgs& p) {
  BenchPlan plan;
  BenchRequest& r = plan.request;
  r.key = p.positional("name");
  r.alg = *p.get("alg");
  check_alg(r.alg);
  r.size = p.vm["size"].as<std::size_t>();
  // A scheme chooses its own algorithm: an --alg beside it would be ignored without a word.
  if (p.has("scheme") && !p.vm["alg"].defaulted()) {
    throw UsageError("give --alg or --scheme, not both");
  }
  // The same for --size: a scheme signs the input it builds (or --in), not SIZE bytes.
  if (p.has("scheme") && !p.vm["size"].defaulted()) {
    throw UsageError("--size is for --alg; a scheme signs its own input (give --in to change it)");
  }
  if (p.has("scheme")) r.scheme = *p.get("scheme");
  if (p.has("in") && !r.scheme) throw UsageError("--in needs --scheme");
  if (p.has("in")) r.input = read_input(*p.get("in"), "the JSON input");
  if (r.size > (1u << 20)) throw UsageError("--size: at most 1048576 bytes");
  plan.target = make_bench_target(r);
  plan.concurrency = either<unsigned>(p, "concurrency", "connections");
  plan.duration = std::chrono::duration<double>(either<double>(p, "seconds", "duration"));
  if (p.has("count")) plan.count = p.vm["count"].as<std::int64_t>();
  if (plan.concurrency < 1 || plan.concurrency > 1024) throw UsageError("--connections: 1 to 1024");
  if (plan.duration.count() <= 0 || plan.duration.count() > 86400) {
    throw UsageError("--duration: more than 0, at most 86400 seconds");
  }
  if (plan.count && *plan.count < 1) throw UsageError("--count must be at least 1");
  return plan;
}

Summary summarize(const std::vector<WorkerResult>& results, double seconds) {
  Summary sum;
  std::vector<double> ms;
  for (const WorkerResult& r : results) {
    ms.insert(ms.end(), r.latencies_ms.begin(), r.latencies_ms.end());
    if (r.errors && !sum.errors) sum.first_error = r.first_error;
    sum.errors += r.errors;
    for (const auto& [kind, n] : r.error_kinds) sum.error_kinds[kind] += n;
  }
  std::sort(ms.begin(), ms.end());
  sum.seconds = seconds;
  sum.signatures = ms.size();
  sum.per_second = seconds > 0 ? static_cast<double>(ms.size()) / seconds : 0;
  sum.p50 = percentile(ms, 0.5);
  sum.p90 = percentile(ms, 0.9);
  sum.p99 = percentile(ms, 0.99);
  sum.max = ms.empty() ? 0 : ms.back();
  return sum;
}

void print_json_report(std::ostream& out, const BenchPlan& plan, const Summary& s) {
  const nlohmann::ordered_json report = {
      {"key", plan.request.key},
      {"alg", plan.request.scheme ? nlohmann::ordered_json(nullptr)
                                  : nlohmann::ordered_json(plan.request.alg)},
      {"scheme", plan.request.scheme.value_or("raw")},
      {"concurrency", plan.concurrency},
      {"seconds", s.seconds},
      {"signatures", s.signatures},
      {"errors", s.errors},
      {"errors_by_kind", s.error_kinds},
      {"per_second", s.per_second},
      {"latency_ms", {{"p50", s.p50}, {"p90", s.p90}, {"p99", s.p99}, {"max", s.max}}}};
  out << report.dump(2) << '\n';
}

void print_text_report(std::ostream& out, const BenchPlan& plan, const Summary& s) {
  const std::string what =
      plan.request.scheme ? "scheme " + *plan.request.scheme : plan.request.alg;
  out << std::fixed << std::setprecision(2) << "bench: key " << plan.request.key << ", " << what
      << ", concurrency " << plan.concurrency << ", " << s.seconds << " s\n";
  out << "signatures: " << s.signatures << " (" << std::setprecision(1) << s.per_second
      << "/s), errors: " << s.errors << '\n';
  out << std::setprecision(2) << "latency: p50 " << s.p50 << " ms, p90 " << s.p90 << " ms, p99 "
      << s.p99 << " ms, max " << s.max << " ms\n";
}

po::options_description bench_options() {
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  po::options_description opts;
  opts.add_options()("alg", po::value<std::string>()->default_value("RSA-SHA256"))(
      "seconds", po::value<double>()->default_value(5.0))("duration", po::value<double>())(
      "count", po::value<std::int64_t>())("concurrency",
                                          po::value<unsigned>()->default_value(cores))(
      "connections", po::value<unsigned>())("scheme", po::value<std::string>())(
      "in", po::value<std::string>())("size", po::value<std::size_t>()->default_value(32))(
      "json", po::bool_switch());
  return opts;
}

// One signed answer, checked by the daemon's verify route (OpenSSL with the key's public key, not
// the token): a daemon that answered fast with wrong signatures would fail the run here.
void verify_sample(const Context& ctx, const BenchPlan& plan,
                   const std::vector<WorkerResult>& results) {
  const auto it = std::find_if(results.begin(), results.end(),
                               [](const WorkerResult& r) { return !r.sample.empty(); });
  const SampleCheck check = sample_check_for(plan.request, it->sample);
  const HttpResponse res = call_daemon(ctx, "POST", check.path, check.body);
  const auto answer = nlohmann::json::parse(res.body, nullptr, /*allow_exceptions=*/false);
  if (!answer.is_object() || answer.value("valid", false) != true) {
    throw Failure("the sample signature did not verify: " + res.body);
  }
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
  if (summary.signatures) verify_sample(ctx, plan, results);
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
