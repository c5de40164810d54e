#pragma once
// Prometheus text exposition (format 0.0.4) of what operators need to see: requests by route and
// status, sign latency by key and alg, denials; gauges (queue depth, busy sessions, token state,
// recoveries) are read at scrape time from the objects that own them.

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace p11signd::daemon {

// One version of a key (docs/operations.md, "Rotating a key"): its state, and when the certificate
// beside it expires (Unix time; none: no certificate, a retired version, or not read).
struct KeyVersionGauge {
  std::string key;
  unsigned version = 1;
  std::string state;
  std::optional<std::int64_t> certificate_not_after;
};

struct Gauges {
  std::size_t queue_depth = 0;
  unsigned sessions_busy = 0;
  unsigned workers = 0;
  bool token_ok = false;
  std::string token_state;
  unsigned long recoveries = 0;
  std::size_t connections = 0;
  bool audit_ok = true;
  std::vector<KeyVersionGauge> key_versions;
};

class Metrics {
 public:
  static constexpr std::array<double, 12> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                      0.1,   0.25,   0.5,   1.0,  2.5,   5.0};

  void count_request(const std::string& route, unsigned status);
  void observe_sign(const std::string& key, const std::string& alg, std::chrono::nanoseconds d);
  void count_denial(const std::string& kind);  // "key" or "admin"
  std::string render(const Gauges& gauges) const;

 private:
  struct Histogram {
    std::array<unsigned long, kBuckets.size()> buckets{};
    unsigned long count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<std::pair<std::string, unsigned>, unsigned long> requests_;
  std::map<std::pair<std::string, std::string>, Histogram> sign_latency_;
  std::map<std::string, unsigned long> denials_;
};

}  // namespace p11signd::daemon
