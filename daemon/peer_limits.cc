#include "daemon/peer_limits.h"

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

std::size_t PeerLimits::count(const std::shared_ptr<Counts>& counts, uid_t uid) const {
  std::lock_guard lock(*mu_);
  const auto it = counts->find(uid);
  return it == counts->end() ? 0 : it->second;
}

}  // namespace p11signd::daemon
