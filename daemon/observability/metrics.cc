#include "daemon/observability/metrics.h"

#include <sstream>

namespace p11signd::daemon {
namespace {

// Label values are our own route names, key names ([A-Za-z0-9_-]) and alg names, but escape anyway.
std::string esc(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

void gauge(std::ostringstream& o, const char* name, const char* help, double value) {
  o << "# HELP " << name << ' ' << help << "\n# TYPE " << name << " gauge\n"
    << name << ' ' << value << '\n';
}

void key_versions(std::ostringstream& o, const std::vector<KeyVersionGauge>& versions) {
  o << "# HELP p11signd_key_version_info The versions of each key and their states.\n"
    << "# TYPE p11signd_key_version_info gauge\n";
  for (const auto& v : versions) {
    o << "p11signd_key_version_info{key=\"" << esc(v.key) << "\",version=\"" << v.version
      << "\",state=\"" << esc(v.state) << "\"} 1\n";
  }
  o << "# HELP p11signd_certificate_not_after_seconds When the certificate beside a published key "
       "version expires, Unix time.\n"
    << "# TYPE p11signd_certificate_not_after_seconds gauge\n";
  for (const auto& v : versions) {
    if (!v.certificate_not_after) continue;
    o << "p11signd_certificate_not_after_seconds{key=\"" << esc(v.key) << "\",version=\""
      << v.version << "\"} " << *v.certificate_not_after << '\n';
  }
}

}  // namespace

void Metrics::count_request(const std::string& route, unsigned status) {
  std::lock_guard lock(mu_);
  ++requests_[{route, status}];
}

void Metrics::observe_sign(const std::string& key, const std::string& alg,
                           std::chrono::nanoseconds d) {
  const double seconds = std::chrono::duration<double>(d).count();
  std::lock_guard lock(mu_);
  auto& h = sign_latency_[{key, alg}];
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++h.buckets[i];
  }
  ++h.count;
  h.sum += seconds;
}

void Metrics::count_denial(const std::string& kind) {
  std::lock_guard lock(mu_);
  ++denials_[kind];
}

std::string Metrics::render(const Gauges& g) const {
  std::ostringstream o;
  std::lock_guard lock(mu_);
  o << "# HELP p11signd_requests_total HTTP requests answered, by route and status.\n"
    << "# TYPE p11signd_requests_total counter\n";
  for (const auto& [k, n] : requests_) {
    o << "p11signd_requests_total{route=\"" << esc(k.first) << "\",status=\"" << k.second << "\"} "
      << n << '\n';
  }
  o << "# HELP p11signd_sign_seconds Time the token took to sign, by key and alg.\n"
    << "# TYPE p11signd_sign_seconds histogram\n";
  for (const auto& [k, h] : sign_latency_) {
    const std::string labels = "key=\"" + esc(k.first) + "\",alg=\"" + esc(k.second) + "\"";
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
      o << "p11signd_sign_seconds_bucket{" << labels << ",le=\"" << kBuckets[i] << "\"} "
        << h.buckets[i] << '\n';
    }
    o << "p11signd_sign_seconds_bucket{" << labels << ",le=\"+Inf\"} " << h.count << '\n'
      << "p11signd_sign_seconds_sum{" << labels << "} " << h.sum << '\n'
      << "p11signd_sign_seconds_count{" << labels << "} " << h.count << '\n';
  }
  o << "# HELP p11signd_denials_total Requests refused by the access rules.\n"
    << "# TYPE p11signd_denials_total counter\n";
  for (const auto& [kind, n] : denials_) {
    o << "p11signd_denials_total{rule=\"" << esc(kind) << "\"} " << n << '\n';
  }
  gauge(o, "p11signd_queue_depth", "Sign requests waiting for a worker.",
        static_cast<double>(g.queue_depth));
  gauge(o, "p11signd_sessions_busy", "Token sessions signing now.", g.sessions_busy);
  gauge(o, "p11signd_workers", "Workers, one token session each.", g.workers);
  gauge(o, "p11signd_connections", "Open client connections.", static_cast<double>(g.connections));
  gauge(o, "p11signd_audit_ok", "1 when the audit log can be written.", g.audit_ok ? 1 : 0);
  o << "# HELP p11signd_token_up 1 when the token is ready, by state.\n"
    << "# TYPE p11signd_token_up gauge\n"
    << "p11signd_token_up{state=\"" << esc(g.token_state) << "\"} " << (g.token_ok ? 1 : 0) << '\n'
    << "# HELP p11signd_token_recoveries_total Times the token layer repaired the token: sessions "
       "re-opened and logged in again, or the module re-initialised.\n"
    << "# TYPE p11signd_token_recoveries_total counter\n"
    << "p11signd_token_recoveries_total " << g.recoveries << '\n';
  key_versions(o, g.key_versions);
  return o.str();
}

}  // namespace p11signd::daemon
