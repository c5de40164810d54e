#pragma once
// Fair share between peers: how many connections one uid may hold open and how many of its
// requests may be in flight at once, so that one client - with no key at all, or with many - cannot
// take the event loop, the connection slots or the worker queue from the others. A lease is taken
// at the door (a connection at accept, a request once its header is read, before its body) and
// given back from any thread: a worker that sent the answer itself ends its request's lease.

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>

namespace p11signd::daemon {

struct PeerLimitSettings {
  std::size_t connections_per_uid = 512;
  std::size_t requests_per_uid = 256;
  // Refusals (403, 429) one uid may draw per second, and at once. Past them its requests are read
  // at that pace only, one connection after another: a uid that floods requests it may not make
  // (no key at all, the largest bodies, a thousand connections) then costs the event loop a few
  // refusals a second instead of all its time. A uid that is not refused is never paced.
  double refusals_per_second = 100;
  double refusal_burst = 200;
};

class PeerLimits {
 public:
  // Given back once: by release(), or when the last copy of it is destroyed.
  class Lease {
   public:
    ~Lease();
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    void release();

   private:
    friend class PeerLimits;
    Lease(std::shared_ptr<std::mutex> mu, std::shared_ptr<std::map<uid_t, std::size_t>> counts,
          uid_t uid);
    std::shared_ptr<std::mutex> mu_;
    std::shared_ptr<std::map<uid_t, std::size_t>> counts_;
    uid_t uid_;
    bool held_ = true;
  };
  using LeasePtr = std::shared_ptr<Lease>;

  explicit PeerLimits(PeerLimitSettings settings) : settings_(settings) {}

  // Null when uid holds connections_per_uid connections already.
  LeasePtr open_connection(uid_t uid) {
    return take(connections_, settings_.connections_per_uid, uid);
  }
  // Null when uid has requests_per_uid requests in flight already.
  LeasePtr begin_request(uid_t uid) { return take(requests_, settings_.requests_per_uid, uid); }
  // Event loop: a request of uid was answered 403 or 429.
  void count_refusal(uid_t uid);
  // Event loop, before reading a request of uid: how long to wait first (zero unless uid spent its
  // refusals). Each call while paced takes the next free moment, so parked connections do not all
  // wake at once.
  std::chrono::steady_clock::duration read_delay(uid_t uid);
  std::size_t connections_of(uid_t uid) const { return count(connections_, uid); }
  std::size_t requests_of(uid_t uid) const { return count(requests_, uid); }
  const PeerLimitSettings& settings() const { return settings_; }

 private:
  using Counts = std::map<uid_t, std::size_t>;
  LeasePtr take(const std::shared_ptr<Counts>& counts, std::size_t limit, uid_t uid);
  std::size_t count(const std::shared_ptr<Counts>& counts, uid_t uid) const;

  const PeerLimitSettings settings_;
  // Shared with the leases: a request's lease may be given back after the server is gone.
  std::shared_ptr<std::mutex> mu_ = std::make_shared<std::mutex>();
  std::shared_ptr<Counts> connections_ = std::make_shared<Counts>();
  std::shared_ptr<Counts> requests_ = std::make_shared<Counts>();
  struct Refusals {
    double tokens = 0;
    std::chrono::steady_clock::time_point refilled;
    std::chrono::steady_clock::time_point next_read;  // while paced
  };
  Refusals& refusals_of(uid_t uid, std::chrono::steady_clock::time_point now);
  std::map<uid_t, Refusals> refusals_;  // event loop only
};

}  // namespace p11signd::daemon
