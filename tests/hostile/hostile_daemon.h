#pragma once
// The hostile-client suite's harness: a real p11signd process on a throwaway SoftHSM token,
// configured with the [daemon] lines and [key.*] sections a scenario gives, and the means to be a
// hostile client (another uid, a raw socket). Each scenario (one file per concern) starts its own
// daemon, so a daemon that a scenario brings down never hides another scenario's result.

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "daemon/testing/test_support.h"
#include "tests/testing/child_process.h"
#include "tests/testing/softhsm.h"

namespace p11signd::hostile {

// An unprivileged uid for "another client": nobody on Debian.
inline constexpr uid_t kOtherUid = 65534;
inline constexpr gid_t kOtherGid = 65534;

class HostileDaemon {
 public:
  struct Options {
    // Appended to the [daemon] section (socket, audit-log and a world-writable socket-mode are
    // set).
    std::string daemon_extra;
    // Whole [key.*] sections; the default lets this process's uid use "shop" with raw and jws.
    std::string key_sections;
    // Labels of the RSA-2048 keys generated on the token before the daemon starts.
    std::vector<std::string> token_keys{"shop"};
  };

  // Makes the token and its keys, writes the configuration, starts p11signd and waits until its
  // health route answers 200 (throws std::runtime_error with the daemon's log when it does not).
  explicit HostileDaemon(Options options);
  HostileDaemon() : HostileDaemon(Options{}) {}
  ~HostileDaemon();
  HostileDaemon(const HostileDaemon&) = delete;
  HostileDaemon& operator=(const HostileDaemon&) = delete;

  const std::string& socket() const { return socket_; }
  std::string audit_path() const;
  std::string config_path() const;
  std::string log_path() const;
  std::string path(const std::string& name) const;  // a file in the token's directory
  // The daemon's stdout and stderr so far.
  std::string log() const;
  // The audit log so far, one JSON object per line; a line that is not JSON fails the test.
  std::vector<nlohmann::json> audit_records() const;
  // Audit records whose "op" is op (and, when given, whose "result" starts with result_prefix).
  std::vector<nlohmann::json> audit_records(const std::string& op,
                                            const std::string& result_prefix = "") const;

  // True while the same p11signd process runs.
  bool running() const { return process_.running(); }
  pid_t pid() const { return process_.pid(); }
  // Rewrites the configuration's key sections and daemon lines, sends SIGHUP.
  void reload(const std::string& key_sections, const std::string& daemon_extra = "");
  // SIGTERM; the exit status (-1 when it did not exit within 10 s).
  int stop() { return process_.stop(); }
  const p11signd::testing::SoftHsm& token() const { return hsm_; }

  // The default key section: uid may use key `name` (label `name`) with schemes.
  static std::string key_section(const std::string& name, uid_t uid,
                                 const std::string& schemes = "raw, jws");

 private:
  void write_config(const std::string& key_sections, const std::string& daemon_extra);

  p11signd::testing::SoftHsm hsm_{"hostile"};
  daemon::testing::TempDir socket_dir_;  // 0755, so that another uid reaches the socket
  std::string socket_;
  p11signd::testing::ChildProcess process_;
};

// Runs body in a forked child with uid/gid (and no supplementary groups); returns its return value,
// or -1 when the child could not change identity or died. body must not touch the parent's state.
// while_child_runs, when given, runs in this process once the child exists, before waiting for
// it: threads the test wants beside the child start there, never before the fork (a child forked
// while another thread holds the allocator's lock, as ASan's can be, deadlocks on its first
// malloc).
int run_as(uid_t uid, gid_t gid, const std::function<int()>& body,
           const std::function<void()>& while_child_runs = {});

// A connected AF_UNIX stream socket to path (blocking); -1 with errno when it cannot connect.
int connect_unix(const std::string& path);

}  // namespace p11signd::hostile
