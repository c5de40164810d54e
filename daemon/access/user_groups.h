#pragma once
// The groups a peer belongs to when the kernel could not say (no SO_PEERGROUPS): asked of the user
// database (NSS), which may be slow (LDAP, sssd). So it is asked only when an access rule names a
// group and the peer's uid did not already decide, and at most once per uid and gid for as long as
// the Policy that holds this lives: a reload or a new runtime key starts afresh.

#include <sys/types.h>

#include <functional>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

namespace p11signd::daemon {

// The groups of uid as getgrouplist(3) reports them, gid included.
std::vector<gid_t> groups_of(uid_t uid, gid_t gid);

// groups_of, or a stand-in in tests.
using GroupLookup = std::function<std::vector<gid_t>(uid_t uid, gid_t gid)>;

class UserGroups {
 public:
  explicit UserGroups(GroupLookup lookup) : lookup_(std::move(lookup)) {}
  UserGroups(const UserGroups&) = delete;
  UserGroups& operator=(const UserGroups&) = delete;

  // Thread-safe: a Policy is shared by every request admitted under it.
  std::vector<gid_t> of(uid_t uid, gid_t gid) const;

 private:
  GroupLookup lookup_;
  mutable std::mutex mutex_;
  mutable std::map<std::pair<uid_t, gid_t>, std::vector<gid_t>> known_;
};

}  // namespace p11signd::daemon
