#pragma once
// Who is on the other end of the socket (SO_PEERCRED at accept, as the Docker socket and ssh-agent
// do), and what that peer may do: per-key allow-uids/allow-groups, admin-uids/admin-groups. A
// Policy is an immutable snapshot of the configuration together with the keys the store had when
// it was published; SIGHUP builds a new one and swaps it. A request keeps the Policy it was
// admitted with to the end, so its access rule and its key never come from two configurations.

#include <sys/types.h>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "daemon/access/user_groups.h"
#include "daemon/config/config.h"

namespace p11signd::daemon {

struct Peer {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  // The groups the peer process runs with (SO_PEERGROUPS), gid included; std::nullopt where the
  // kernel could not say: the Policy then asks the user database, and only if a rule needs it.
  std::optional<std::vector<gid_t>> groups;
  // Both as identify_peer() read them, with bytes that are not UTF-8 escaped as \xNN
  // (common/utf8.h).
  std::string exe;   // /proc/PID/exe at accept, or "" when unreadable (another uid's process
                     // needs ptrace rights the daemon should not have)
  std::string comm;  // /proc/PID/comm, readable for every process: the name when exe is not
};

// uid, gid and pid of a connected AF_UNIX socket's peer (SO_PEERCRED alone: cheap, and enough for
// the per-uid limits); std::nullopt when the kernel will not say.
std::optional<Peer> peer_credentials(int fd);
// credentials completed with what the kernel knows of the peer: its groups, its executable and
// its name. Never asks the user database: this runs on every accept.
Peer identify_peer(int fd, Peer credentials);
// Both at once.
std::optional<Peer> identify_peer(int fd);
std::string exe_of(pid_t pid);
std::string comm_of(pid_t pid);

// Why a peer was refused. message goes to the peer and names no rule's members (which uids and
// groups a key or the admin right allows is nobody else's business); audit_reason goes to the
// audit line and says everything.
struct Denial {
  std::string message;
  std::string audit_reason;
};

class Policy {
 public:
  // runtime_keys: keys created or imported through the API in this process that have no [key.NAME]
  // section; until the configuration names them only admin peers may use them, and only for
  // certificates and CSRs: they sign for no scheme. keys: what the store holds now (its public
  // parts), published together with the rules. lookup: where the groups of a peer the kernel
  // gave none for come from.
  Policy(const Config& config, std::set<std::string> runtime_keys, std::vector<KeyInfo> keys = {},
         GroupLookup lookup = groups_of);

  // std::nullopt when allowed. scheme "" asks for the key itself (public key, certificate, CSR),
  // not for signing with a scheme.
  std::optional<Denial> deny_key(const Peer& peer, const std::string& key,
                                 const std::string& scheme) const;
  std::optional<Denial> deny_admin(const Peer& peer) const;
  bool is_admin(const Peer& peer) const;
  bool knows_key(const std::string& key) const;
  std::vector<std::string> schemes_of(const std::string& key) const;
  // The key as the store had it when this Policy was made; nullptr when it had none of that name.
  const KeyInfo* key(const std::string& name) const;
  const std::map<std::string, KeyInfo>& keys() const { return keys_; }
  const Config& config() const { return config_; }
  const std::set<std::string>& runtime_keys() const { return runtime_keys_; }

 private:
  bool in_any_group(const Peer& peer, const std::vector<gid_t>& allowed) const;

  Config config_;
  std::set<std::string> runtime_keys_;
  std::map<std::string, KeyInfo> keys_;
  UserGroups user_groups_;
};

}  // namespace p11signd::daemon
