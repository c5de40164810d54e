#include "daemon/lifecycle/daemon.h"

#include <unistd.h>

#include <cstdlib>

#include <boost/asio/post.hpp>
#include <future>
#include <iostream>
#include <sstream>
#include <thread>
#include <utility>

#include "daemon/lifecycle/notify.h"
#include "daemon/lifecycle/restart_settings.h"
#include "daemon/routes/routes_schemes.h"
#include "daemon/routes/scheme_key_types.h"
#include "daemon/server/listener.h"
#include "daemon/server/loop_guard.h"

namespace p11signd::daemon {
namespace {

namespace asio = boost::asio;

void log(const std::string& line) { std::cerr << "p11signd: " << line << std::endl; }

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// A failed reload's problems, one per line; never empty (no problems would apply the
// configuration).
std::vector<std::string> problems_of(const std::exception& e) {
  auto lines = split_lines(e.what());
  if (lines.empty()) lines.emplace_back("reload failed (no reason given)");
  return lines;
}

CheckpointSchedule checkpoint_schedule(const DaemonSettings& d) {
  return {d.audit_checkpoint_records, d.audit_checkpoint_interval};
}

std::string summary(const Config& c, unsigned workers) {
  return "serving " + std::to_string(c.keys.size()) + " key(s) with " + std::to_string(workers) +
         " worker(s)";
}

}  // namespace

unsigned worker_count(const DaemonSettings& settings, const KeyStore& store) {
  unsigned n =
      settings.workers ? settings.workers : std::max(1u, std::thread::hardware_concurrency());
  unsigned sessions = store.max_sessions();
  // The audit checkpoints sign on a session of their own.
  if (!settings.audit_key.empty() && sessions > 1) --sessions;
  if (sessions > 0) n = std::min(n, sessions);
  return std::max(1u, n);
}

SchemeCheck check_with_store(const Config& config, KeyStore& store) {
  const auto schemes = make_scheme_routes();
  SchemeCheck checked = schemes->check(config);
  try {
    store.set_keys(config.key_specs());
  } catch (const StoreError& e) {
    for (auto& line : split_lines(e.what())) checked.problems.push_back(line);
    return checked;
  }
  for (auto& line : key_type_problems(config, store, *schemes)) {
    checked.problems.push_back(std::move(line));
  }
  return checked;
}

Daemon::Daemon(Config config, std::unique_ptr<KeyStore> store, DaemonOptions options)
    : config_(std::move(config)),
      store_(std::move(store)),
      options_(options),
      audit_(config_.daemon.audit_log),
      checkpoints_(audit_, checkpoint_schedule(config_.daemon),
                   config_.daemon.audit_key.empty()
                       ? nullptr
                       : store_checkpoint_signer(*store_, config_.daemon.audit_key)),
      pool_(*store_, worker_count(config_.daemon, *store_), config_.daemon.queue_limit,
            config_.daemon.spin),
      signals_(io_),
      watchdog_(io_),
      drain_deadline_(io_) {
  Services services{
      *store_, pool_, audit_, metrics_, io_.get_executor(), config_.daemon.request_timeout};
  services.connections = [this] { return server_ ? server_->connections() : 0; };
  api_ = std::make_unique<Api>(services, config_, options_.peers);
  if (!audit_.healthy()) log(audit_.failure() + " (signing is refused until it can be written)");
}

Daemon::~Daemon() {
  if (reload_thread_.joinable()) reload_thread_.join();
  pool_.stop();
}

void Daemon::set_listening(bool ok) {
  std::lock_guard lock(ready_mu_);
  listening_ = ok;
  ready_cv_.notify_all();
}

bool Daemon::wait_until_listening(std::chrono::milliseconds timeout) {
  std::unique_lock lock(ready_mu_);
  ready_cv_.wait_for(lock, timeout, [this] { return listening_.has_value(); });
  return listening_.value_or(false);
}

int Daemon::run() {
  std::optional<Listener> listener;
  try {
    listener.emplace(open_listener(io_, config_.daemon, options_.socket_activation));
  } catch (...) {
    set_listening(false);
    throw;
  }
  ServerLimits limits{
      config_.daemon.max_request_bytes,
      config_.daemon.read_timeout,
      config_.daemon.idle_timeout,
      config_.daemon.max_connections,
      {config_.daemon.max_connections_per_uid, config_.daemon.max_requests_per_uid}};
  server_ = std::make_unique<Server>(std::move(listener->acceptor), *api_, limits);
  server_->start();
  if (options_.handle_signals) {
    signals_.add(SIGTERM);
    signals_.add(SIGINT);
    signals_.add(SIGHUP);
    signals_.async_wait([this](boost::system::error_code ec, int signo) {
      if (!ec) on_signal(signo);
    });
  }
  if (auto interval = notify::watchdog_interval()) arm_watchdog(*interval);
  const std::string where =
      listener->from_systemd ? "the socket systemd passed" : config_.daemon.socket;
  log("listening on " + where + " (pid " + std::to_string(::getpid()) + "); " +
      summary(config_, pool_.size()));
  notify::ready(summary(config_, pool_.size()));
  set_listening(true);
  if (options_.on_listening) options_.on_listening();
  run_event_loop(io_);
  if (!pool_.stop_within(config_.daemon.request_timeout + std::chrono::seconds(1))) {
    // A token call that never returns cannot be cancelled; waiting would only make systemd kill us
    // later.
    log("stopping: a token call is still hung after the drain; exiting without waiting for it");
    if (!listener->created_path.empty()) unlink(listener->created_path.c_str());
    std::_Exit(1);
  }
  // Workers may have posted answers for requests that were already answered 504; let them land.
  io_.restart();
  run_event_loop(io_);
  if (!checkpoints_.stop_within(config_.daemon.request_timeout + std::chrono::seconds(1))) {
    log("stopping: the audit checkpoint's token call is hung; exiting without waiting for it");
    if (!listener->created_path.empty()) unlink(listener->created_path.c_str());
    std::_Exit(1);
  }
  if (!listener->created_path.empty()) unlink(listener->created_path.c_str());
  log("stopped");
  return 0;
}

void Daemon::on_signal(int signo) {
  // A failed reload or shutdown step must not leave the signals unwatched: SIGTERM would then be
  // queued and never acted on.
  try {
    if (signo == SIGHUP) {
      reload();
    } else {
      begin_shutdown();
    }
  } catch (...) {
    log_handler_failure(signo == SIGHUP ? "the reload signal" : "the stop signal",
                        what_of(std::current_exception()));
  }
  if (!stopping_) {
    signals_.async_wait([this](boost::system::error_code ec, int s) {
      if (!ec) on_signal(s);
    });
  }
}

void Daemon::request_stop() {
  asio::post(io_, [this] { begin_shutdown(); });
}

void Daemon::request_reload() {
  asio::post(io_, [this] { reload(); });
}

std::vector<std::string> Daemon::reload_now() {
  std::promise<std::vector<std::string>> done;
  auto result = done.get_future();
  asio::post(io_, [this, &done] {
    reload([&done](std::vector<std::string> problems) { done.set_value(std::move(problems)); });
  });
  return result.get();
}

std::size_t Daemon::reloads_waiting_to_follow() {
  std::promise<std::size_t> count;
  auto result = count.get_future();
  asio::post(io_, [this, &count] { count.set_value(next_reload_waiters_.size()); });
  return result.get();
}

// On the event loop. Everything that may wait runs on a thread of the reload's own: reading the
// file (user and group names through NSS, peer certificates) and resolving the keys, because the
// token may make set_keys() wait (a key being generated holds its admin lock for seconds, a repair
// for longer) and the loop must keep answering meanwhile. A reload asked for while one runs
// follows it.
void Daemon::reload(ReloadDone done) {
  if (reloading_) {  // this one reads the file after the running one: its caller waits for that
    if (done) next_reload_waiters_.push_back(std::move(done));
    reload_again_ = true;
    return;
  }
  if (done) reload_waiters_.push_back(std::move(done));
  reloading_ = true;
  notify::reloading();
  // First, and whatever the file now says: logrotate's postrotate reloads to move the audit trail
  // to the new file, and a configuration mistake must not keep it writing into the rotated one.
  if (!audit_.reopen()) log(audit_.failure() + " (signing is refused until it can be written)");
  if (reload_thread_.joinable()) reload_thread_.join();  // finished: reloading_ was false
  reload_thread_ = std::thread([this, path = config_.path, current = config_.key_specs()] {
    auto next = std::make_shared<PreparedReload>();
    try {
      *next = prepare_reload(path, current);
    } catch (const std::exception& e) {  // anything at all: a reload never ends us
      next->result.problems = problems_of(e);
    }
    asio::post(io_, [this, next] { finish_reload(*next); });
  });
}

// On the reload thread. Api::check_config() and KeyStore::set_keys() are safe to call from here.
Daemon::PreparedReload Daemon::prepare_reload(const std::string& path,
                                              const std::vector<KeySpec>& current) {
  PreparedReload next{load_config(path), nullptr, {}};
  if (!next.result.ok()) return next;
  auto checked = api_->check_config(next.result.config);
  next.result.problems = std::move(checked.problems);
  next.peers = std::move(checked.peers);
  next.scheme_warnings = std::move(checked.warnings);
  if (!next.result.ok()) return next;
  try {
    // Keys created through the API stay named (the store keeps them) unless the file now names
    // them.
    store_->set_keys(next.result.config.key_specs());
  } catch (const StoreError& e) {
    next.result.problems = problems_of(e);
    return next;
  }
  // A key's type is known only now that the store resolved it: a key the new file gives a scheme
  // it cannot sign for refuses the reload, and the store names the keys in force again.
  next.result.problems = api_->key_type_problems(next.result.config);
  if (!next.result.ok()) {
    try {
      store_->set_keys(current);
    } catch (const StoreError& e) {
      for (auto& line : problems_of(e)) {
        next.result.problems.push_back("the previous keys could not be named again: " + line);
      }
    }
  }
  return next;
}

void Daemon::finish_reload(const PreparedReload& next) {
  auto problems = next.result.problems;
  if (problems.empty()) {
    try {
      apply_reload(next);
    } catch (...) {  // the waiters still get their answer, and later reloads still run
      problems.push_back("applying the configuration failed: " + what_of(std::current_exception()));
    }
  }
  if (!problems.empty()) {
    for (const auto& p : problems) {
      log("reload refused, keeping the previous configuration: " + p);
    }
    notify::ready("reload refused: " + problems.front());
  }
  reloading_ = false;
  for (auto& waiter : std::exchange(reload_waiters_, {})) waiter(problems);
  if (std::exchange(reload_again_, false)) {
    reload_waiters_ = std::exchange(next_reload_waiters_, {});
    reload();
  }
}

void Daemon::apply_reload(const PreparedReload& prepared) {
  const Config& next = prepared.result.config;
  if (const auto later = settings_needing_restart(config_, next); !later.empty()) {
    std::string names;
    for (const auto& name : later) names += (names.empty() ? "" : ", ") + name;
    log("reload: " + names + " changed; these take effect at the next restart");
  }
  api_->apply_config(next, prepared.peers);
  for (const auto& w : config_warnings(next)) log("warning: " + w);
  for (const auto& w : prepared.scheme_warnings) log("warning: " + w);
  config_.keys = next.keys;
  config_.peers = next.peers;
  config_.daemon.admin_uids = next.daemon.admin_uids;
  config_.daemon.admin_gids = next.daemon.admin_gids;
  log("reloaded " + config_.path + "; " + summary(config_, pool_.size()));
  notify::ready(summary(config_, pool_.size()));
}

void Daemon::begin_shutdown() {
  if (stopping_ || !server_) return;
  stopping_ = true;
  notify::stopping();
  log("stopping: draining " + std::to_string(server_->connections()) + " connection(s)");
  signals_.cancel();
  watchdog_.cancel();
  // In-flight requests get their answer; a request that cannot finish by then has already had its
  // 504.
  drain_deadline_.expires_after(config_.daemon.request_timeout + config_.daemon.read_timeout);
  drain_deadline_.async_wait([this](boost::system::error_code ec) {
    if (!ec) server_->close_all();
  });
  server_->drain([this] {
    drain_deadline_.cancel();
    api_->stop_deadlines();
  });
}

void Daemon::arm_watchdog(std::chrono::microseconds interval) {
  watchdog_.expires_after(interval / 2);
  watchdog_.async_wait([this, interval](boost::system::error_code ec) {
    // stopping_ too: a handler already queued when begin_shutdown() cancelled the timer runs with
    // success, and re-arming then would keep io_.run() from ever returning.
    if (ec || stopping_) return;
    // Ping only while the workers make progress: a hung token call should get the service
    // restarted. A failed ping must not stop the pings that follow.
    try {
      if (pool_.making_progress(interval)) notify::watchdog();
    } catch (...) {
      log_handler_failure("the watchdog", what_of(std::current_exception()));
    }
    arm_watchdog(interval);
  });
}

}  // namespace p11signd::daemon
