#include "daemon/access/peer_limits.h"

#include <algorithm>

namespace p11signd::daemon {

PeerLimits::Lease::Lease(std::shared_ptr<std::mutex> mu,
                         std::shared_ptr<std::map<uid_t, std::size_t>> counts, uid_t uid)
    : mu_(std::move(mu)), counts_(std::move(counts)), uid_(uid) {}

PeerLimits::Lease::~Lease() { release(); }

void PeerLimits::Lease::release() {
  std::lock_guard lock(*mu_);
  if (!held_) return;
  held_ = false;
  auto it = counts_->find(uid_);
  if (it != counts_->end() && --it->second == 0) counts_->erase(it);
}

PeerLimits::LeasePtr PeerLimits::take(const std::shared_ptr<Counts>& counts, std::size_t limit,
                                      uid_t uid) {
  {
    std::lock_guard lock(*mu_);
    auto& n = (*counts)[uid];
    if (n >= limit) {
      if (n == 0) counts->erase(uid);
      return nullptr;
    }
    ++n;
  }
  return LeasePtr(new Lease(mu_, counts, uid));
}

PeerLimits::Refusals& PeerLimits::refusals_of(uid_t uid,
                                              std::chrono::steady_clock::time_point now) {
  auto [it, fresh] = refusals_.try_emplace(uid);
  Refusals& r = it->second;
  if (fresh) {
    r.tokens = settings_.refusal_burst;
  } else {
    const std::chrono::duration<double> since = now - r.refilled;
    r.tokens =
        std::min(settings_.refusal_burst, r.tokens + since.count() * settings_.refusals_per_second);
  }
  r.refilled = now;
  return r;
}

void PeerLimits::count_refusal(uid_t uid) {
  Refusals& r = refusals_of(uid, std::chrono::steady_clock::now());
  r.tokens = std::max(r.tokens - 1, -settings_.refusal_burst);
}

std::chrono::steady_clock::duration PeerLimits::read_delay(uid_t uid) {
  const auto now = std::chrono::steady_clock::now();
  const auto it = refusals_.find(uid);
  if (it == refusals_.end()) return {};  // never refused: the common case costs one look-up
  Refusals& r = refusals_of(uid, now);
  if (r.tokens >= 1) {
    if (r.tokens >= settings_.refusal_burst) refusals_.erase(uid);  // forgiven: forget it
    return {};
  }
  const auto step = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(1.0 / settings_.refusals_per_second));
  const auto slot = std::max(now, r.next_read);
  r.next_read = slot + step;
  return slot - now;
}

std::size_t PeerLimits::count(const std::shared_ptr<Counts>& counts, uid_t uid) const {
  std::lock_guard lock(*mu_);
  const auto it = counts->find(uid);
  return it == counts->end() ? 0 : it->second;
}

}  // namespace p11signd::daemon
