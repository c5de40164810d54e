#include "daemon/access/acl.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <optional>

#include "common/utf8.h"

namespace p11signd::daemon {
namespace {

template <typename T>
std::string join(const std::vector<T>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ",") + std::to_string(i);
  return out.empty() ? "(none)" : out;
}

template <typename T>
bool contains(const std::vector<T>& v, T x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

}  // namespace

// The supplementary groups the peer process had when it connected, as the kernel keeps them
// (SO_PEERGROUPS, Linux 4.13): the groups it runs with - the same the socket file's permissions
// were checked against - not those the user database says its user could have. nullopt where the
// kernel lacks it.
std::optional<std::vector<gid_t>> kernel_groups_of(int fd) {
  std::vector<gid_t> groups(64);
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto len = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
    if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &len) == 0) {
      groups.resize(len / sizeof(gid_t));
      return groups;
    }
    if (errno != ERANGE) return std::nullopt;
    groups.resize(len / sizeof(gid_t) + 1);  // len now holds the size needed
  }
  return std::nullopt;
}

std::string exe_of(pid_t pid) {
  char buf[4096];
  const std::string link = "/proc/" + std::to_string(pid) + "/exe";
  const ssize_t n = readlink(link.c_str(), buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

std::string comm_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
  std::string comm;
  std::getline(in, comm);
  return comm;
}

std::optional<Peer> peer_credentials(int fd) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return std::nullopt;
  Peer peer;
  peer.pid = cred.pid;
  peer.uid = cred.uid;
  peer.gid = cred.gid;
  return peer;
}

Peer identify_peer(int fd, Peer peer) {
  // Where the kernel cannot say, the groups stay unknown here: the user database (NSS) may be slow
  // (LDAP), so only the Policy asks it, and only when a rule needs the answer (user_groups.h).
  peer.groups = kernel_groups_of(fd);
  if (peer.groups && !contains(*peer.groups, peer.gid)) peer.groups->push_back(peer.gid);
  // Any process can name itself any bytes (prctl(PR_SET_NAME)), and the kernel cuts a name at 15
  // bytes, through a multi-byte character if need be: escaped here, once, so every audit line and
  // answer that quotes the peer serialises (common/utf8.h).
  peer.exe = escape_invalid_utf8(exe_of(peer.pid));
  peer.comm = escape_invalid_utf8(comm_of(peer.pid));
  return peer;
}

std::optional<Peer> identify_peer(int fd) {
  auto credentials = peer_credentials(fd);
  if (!credentials) return std::nullopt;
  return identify_peer(fd, std::move(*credentials));
}

Policy::Policy(const Config& config, std::set<std::string> runtime_keys, std::vector<KeyInfo> keys,
               GroupLookup lookup)
    : config_(config), runtime_keys_(std::move(runtime_keys)), user_groups_(std::move(lookup)) {
  for (const auto& [name, k] : config_.keys) runtime_keys_.erase(name);
  for (auto& info : keys) {
    std::string name = info.name;
    keys_.emplace(std::move(name), std::move(info));
  }
}

bool Policy::in_any_group(const Peer& peer, const std::vector<gid_t>& allowed) const {
  if (allowed.empty()) return false;
  const auto in_allowed = [&](gid_t g) { return contains(allowed, g); };
  if (peer.groups) return std::any_of(peer.groups->begin(), peer.groups->end(), in_allowed);
  const auto looked_up = user_groups_.of(peer.uid, peer.gid);
  return std::any_of(looked_up.begin(), looked_up.end(), in_allowed);
}

bool Policy::is_admin(const Peer& peer) const {
  return contains(config_.daemon.admin_uids, peer.uid) ||
         in_any_group(peer, config_.daemon.admin_gids);
}

std::optional<Denial> Policy::deny_admin(const Peer& peer) const {
  if (is_admin(peer)) return std::nullopt;
  const std::string message = "peer uid " + std::to_string(peer.uid) + " is not an admin";
  return Denial{message, message + " (admin-uids = " + join(config_.daemon.admin_uids) +
                             "; admin-groups = " + join(config_.daemon.admin_gids) + ")"};
}

bool Policy::knows_key(const std::string& key) const {
  return config_.keys.count(key) || runtime_keys_.count(key);
}

std::vector<std::string> Policy::schemes_of(const std::string& key) const {
  auto it = config_.keys.find(key);
  if (it != config_.keys.end()) return it->second.schemes;
  return {};
}

const KeyInfo* Policy::key(const std::string& name) const {
  auto it = keys_.find(name);
  return it == keys_.end() ? nullptr : &it->second;
}

std::optional<Denial> Policy::deny_key(const Peer& peer, const std::string& key,
                                       const std::string& scheme) const {
  auto it = config_.keys.find(key);
  if (it == config_.keys.end()) {
    if (runtime_keys_.count(key) && is_admin(peer) && scheme.empty()) return std::nullopt;
    const std::string message =
        "key '" + key + "' has no [key." + key +
        "] section yet: until the configuration names it, it signs for no scheme and only admin "
        "peers may make its certificate or CSR";
    return Denial{message, message};
  }
  const KeyConfig& k = it->second;
  if (!contains(k.allow_uids, peer.uid) && !in_any_group(peer, k.allow_gids)) {
    const std::string message =
        "peer uid " + std::to_string(peer.uid) + " may not use key '" + key + "'";
    return Denial{message, message + " (allow-uids = " + join(k.allow_uids) +
                               "; allow-groups = " + join(k.allow_gids) + ")"};
  }
  if (!scheme.empty() && !contains(k.schemes, scheme)) {
    // The peer may use this key, so the schemes it allows are no secret to it (GET /v1/keys shows
    // them).
    std::string list;
    for (const auto& s : k.schemes) list += (list.empty() ? "" : ",") + s;
    const std::string message = "key '" + key + "' may not be used with scheme '" + scheme +
                                "' (schemes = " + (list.empty() ? "(none)" : list) + ")";
    return Denial{message, message};
  }
  return std::nullopt;
}

}  // namespace p11signd::daemon
