#pragma once
// The daemon's life: builds the pieces from a Config and a KeyStore, serves until SIGTERM (drain,
// exit 0), re-reads keys, ACLs and peers on SIGHUP (a bad file keeps the old configuration and logs
// why), and talks to systemd (socket activation, READY/STATUS/RELOADING/STOPPING/WATCHDOG). Tests
// drive the same object in process with request_stop()/request_reload() instead of signals.

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "daemon/config/config.h"
#include "daemon/observability/audit_checkpoints.h"
#include "daemon/routes/api.h"
#include "daemon/server/server.h"

namespace p11signd::daemon {

struct DaemonOptions {
  bool handle_signals = true;          // SIGTERM/SIGINT stop, SIGHUP reloads
  bool socket_activation = true;       // adopt a socket passed by systemd
  std::function<void()> on_listening;  // called once the socket listens (--dev prints its banner)
  // The peers check_with_store() read; null: the Api reads them itself.
  std::shared_ptr<const LoadedPeers> peers;
};

// Everything wrong with a configuration once the token is reachable: scheme names, settings and
// peers, keys that do not resolve (set_keys is called, so on success the store names exactly
// the configured keys), and keys of a type a scheme they list cannot sign with.
// The peers it read are returned with the problems, for DaemonOptions::peers.
SchemeCheck check_with_store(const Config& config, KeyStore& store);

class Daemon {
 public:
  Daemon(Config config, std::unique_ptr<KeyStore> store, DaemonOptions options = {});
  ~Daemon();

  // Listens and serves until stopped; returns the process exit code. Throws when the socket cannot
  // be opened (e.g. another daemon listens on it).
  int run();
  // Thread-safe.
  void request_stop();
  void request_reload();
  // For tests: blocks until run() listens (true) or failed/timed out (false).
  bool wait_until_listening(std::chrono::milliseconds timeout);
  // Reloads from the file and waits for the outcome: the problems (empty: applied). Thread-safe;
  // not from the event loop itself.
  std::vector<std::string> reload_now();
  // For tests: how many reload_now() callers wait for the reload that follows the running one
  // (they asked while it ran). Asks the event loop; not from the event loop itself.
  std::size_t reloads_waiting_to_follow();

 private:
  using ReloadDone = std::function<void(const std::vector<std::string>& problems)>;
  // A configuration read, checked and with its keys resolved, ready to apply on the loop.
  struct PreparedReload {
    ConfigResult result;
    std::shared_ptr<const LoadedPeers> peers;
    std::vector<std::string> scheme_warnings;  // SchemeCheck::warnings, logged when applied
  };
  void on_signal(int signo);
  void reload(ReloadDone done = nullptr);
  // current: the key specs in force, put back when the new keys turn out unusable.
  PreparedReload prepare_reload(const std::string& path, const std::vector<KeySpec>& current);
  void finish_reload(const PreparedReload& next);
  void apply_reload(const PreparedReload& next);
  void begin_shutdown();
  void arm_watchdog(std::chrono::microseconds interval);
  void set_listening(bool ok);

  boost::asio::io_context io_;
  Config config_;
  std::unique_ptr<KeyStore> store_;
  DaemonOptions options_;
  AuditLog audit_;
  AuditCheckpoints checkpoints_;  // signs on a session of store_'s own, so declared after it
  Metrics metrics_;
  WorkerPool pool_;
  std::unique_ptr<Api> api_;
  std::unique_ptr<Server> server_;
  boost::asio::signal_set signals_;
  boost::asio::steady_timer watchdog_;
  boost::asio::steady_timer drain_deadline_;
  bool stopping_ = false;

  // Reload state, on the event loop only (the thread prepares the configuration and posts back).
  bool reloading_ = false;
  bool reload_again_ = false;
  std::vector<ReloadDone> reload_waiters_;       // of the reload running
  std::vector<ReloadDone> next_reload_waiters_;  // of the one that follows it
  std::thread reload_thread_;

  std::mutex ready_mu_;
  std::condition_variable ready_cv_;
  std::optional<bool> listening_;
};

unsigned worker_count(const DaemonSettings& settings, const KeyStore& store);

}  // namespace p11signd::daemon
