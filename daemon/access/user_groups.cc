#include "daemon/access/user_groups.h"

#include <grp.h>
#include <pwd.h>

namespace p11signd::daemon {

std::vector<gid_t> groups_of(uid_t uid, gid_t gid) {
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* res = nullptr;
  if (getpwuid_r(uid, &pw, buf.data(), buf.size(), &res) != 0 || !res) return {gid};
  int n = 64;
  std::vector<gid_t> groups(static_cast<std::size_t>(n));
  if (getgrouplist(pw.pw_name, gid, groups.data(), &n) < 0) {
    groups.resize(static_cast<std::size_t>(n));  // n now holds the number needed
    if (getgrouplist(pw.pw_name, gid, groups.data(), &n) < 0) return {gid};
  }
  groups.resize(static_cast<std::size_t>(n));
  return groups;
}

// The lookup runs outside the lock, so a slow answer for one uid holds up no other; two requests of
// the same new uid at once may both ask, and the first answer is kept.
std::vector<gid_t> UserGroups::of(uid_t uid, gid_t gid) const {
  {
    std::lock_guard lock(mutex_);
    if (auto it = known_.find({uid, gid}); it != known_.end()) return it->second;
  }
  auto groups = lookup_(uid, gid);
  std::lock_guard lock(mutex_);
  return known_.emplace(std::pair{uid, gid}, std::move(groups)).first->second;
}

}  // namespace p11signd::daemon
