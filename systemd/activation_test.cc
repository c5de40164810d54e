// The installed setup in miniature: the real p11signd, started by systemd-socket-activate on the
// first connection to a socket it did not create (as p11signd.socket does), with the package's own
// /etc/p11signd/p11signd.conf, the PIN as a credential ($CREDENTIALS_DIRECTORY/pin, as
// LoadCredential= hands it over) and a throwaway SoftHSM token. The daemon's sd_notify messages are
// captured on a test NOTIFY_SOCKET: READY=1 once it serves, RELOADING=1 then READY=1 around SIGHUP,
// STOPPING=1 on SIGTERM.
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/encoding.h"
#include "daemon/testing/test_support.h"
#include "pkcs11/key_generation.h"
#include "pkcs11/public_key.h"
#include "tests/testing/child_process.h"
#include "tests/testing/softhsm.h"

namespace p11signd::systemd_test {
namespace {

using daemon::testing::Client;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

// A datagram socket in the role of systemd's notification socket.
class NotifySocket {
 public:
  explicit NotifySocket(std::string path) : path_(std::move(path)) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    path_.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      throw std::runtime_error("cannot bind the notify socket " + path_);
    }
  }
  ~NotifySocket() {
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  const std::string& path() const { return path_; }

  // The messages received until one contains `line` (a whole line such as "READY=1"), or the
  // deadline. Returns everything received, one message after another; empty when `line` never came.
  std::string wait_for(const std::string& line, milliseconds timeout = milliseconds(30000)) {
    std::string seen;
    const auto deadline = steady_clock::now() + timeout;
    while (steady_clock::now() < deadline) {
      const std::optional<std::string> message = receive(milliseconds(100));
      if (!message) continue;
      seen += *message + "\n--\n";
      if (has_line(*message, line)) return seen;
    }
    ADD_FAILURE() << "no " << line << " within " << timeout.count() << " ms; received:\n" << seen;
    return {};
  }

  // How many messages holding `line` arrive within `period`.
  int count(const std::string& line, milliseconds period) {
    int n = 0;
    const auto end = steady_clock::now() + period;
    while (steady_clock::now() < end) {
      const std::optional<std::string> message = receive(milliseconds(20));
      if (message && has_line(*message, line)) ++n;
    }
    return n;
  }

 private:
  std::optional<std::string> receive(milliseconds timeout) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n <= 0) return std::nullopt;
    return std::string(buf, static_cast<std::size_t>(n));
  }
  static bool has_line(const std::string& message, const std::string& line) {
    return ("\n" + message + "\n").find("\n" + line + "\n") != std::string::npos;
  }

  std::string path_;
  int fd_ = -1;
};

// Whether a socket bound to `path` is listening, as /proc/net/unix shows it (flag __SO_ACCEPTCON),
// without connecting: a connection would start the daemon. The socket file alone does not say it:
// systemd-socket-activate binds (which makes the file) before it listens, and a connection in
// between is refused.
bool is_listening(const std::string& path) {
  std::ifstream table("/proc/net/unix");
  std::string line;
  std::getline(table, line);  // the header
  while (std::getline(table, line)) {
    std::istringstream fields(line);
    std::string num, refs, protocol, flags, type, state, inode, bound;
    fields >> num >> refs >> protocol >> flags >> type >> state >> inode >> std::ws;
    std::getline(fields, bound);
    if (bound == path && (std::stoul(flags, nullptr, 16) & 0x10000U) != 0) return true;
  }
  return false;
}

// A blocking connection to the Unix socket at path; -1 when it cannot connect.
int connect_to(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  if (fd >= 0 && ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) {
    return fd;
  }
  if (fd >= 0) ::close(fd);
  return -1;
}

// What fd receives until the peer closes it; "(still open)" when it is not closed within timeout.
std::string read_until_closed(int fd, milliseconds timeout) {
  std::string got;
  const auto until = steady_clock::now() + timeout;
  while (steady_clock::now() < until) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    char buf[4096];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return got;
    got.append(buf, static_cast<std::size_t>(n));
  }
  return "(still open)";
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class SocketActivationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto token = pkcs11::Token::open(hsm_.config());
    pkcs11::generate_key(*token, "shop", {"shop", {}}, 2048);
    hsm_.pin_file();  // dir/pin: the credential "pin" with CREDENTIALS_DIRECTORY=dir
    write_config();
  }
  std::string path(const std::string& name) const { return (hsm_.dir() / name).string(); }
  std::string socket() const { return path("p11signd.sock"); }

  // The package's configuration, with only the module path made this machine's (or the given
  // module) and the audit log in the test's directory, and a key section for the test's own uid
  // appended (the shipped file has no keys).
  void write_config(const std::string& module = p11signd::testing::softhsm_module()) {
    std::string conf = read_file(P11SIGND_SHIPPED_CONFIG);
    ASSERT_NE(conf.find("uri = " + hsm_.uri() + "\n"), std::string::npos)
        << "the shipped configuration no longer names the token " << hsm_.uri() << ":\n"
        << conf;
    ASSERT_NE(conf.find("pin-credential = pin\n"), std::string::npos) << conf;
    // Fail-closed by default: the shipped file audits to a file, here one of the test's own.
    ASSERT_NE(conf.find("\naudit-log = /var/log/p11signd/audit.log"), std::string::npos) << conf;
    conf = std::regex_replace(conf, std::regex("\nmodule = [^\n]*"), "\nmodule = " + module);
    conf = std::regex_replace(conf, std::regex("\naudit-log = [^\n]*"),
                              "\naudit-log = " + path("audit.log"));
    std::ofstream(path("p11signd.conf"))
        << conf << "\n[key.shop]\nlabel = shop\nallow-uids = " << ::getuid() << "\nschemes = raw\n";
  }

  // systemd-socket-activate -l SOCKET -E ... p11signd --config FILE: it listens, and on the first
  // connection execs the daemon (same pid) with the listening socket as fd 3.
  void start(const std::string& notify_socket, const std::vector<std::string>& environment = {}) {
    std::vector<std::string> args{SYSTEMD_SOCKET_ACTIVATE,
                                  "-l",
                                  socket(),
                                  "--fdname=p11signd",
                                  "-E",
                                  "NOTIFY_SOCKET=" + notify_socket,
                                  "-E",
                                  "CREDENTIALS_DIRECTORY=" + hsm_.dir().string()};
    for (const char* name : {"SOFTHSM2_CONF", "ASAN_OPTIONS", "UBSAN_OPTIONS"}) {
      if (const char* value = std::getenv(name)) {
        args.insert(args.end(), {"-E", std::string(name) + "=" + value});
      }
    }
    for (const std::string& variable : environment) args.insert(args.end(), {"-E", variable});
    args.insert(args.end(), {P11SIGND_BINARY, "--config", path("p11signd.conf")});
    activator_.spawn(args);
    ASSERT_TRUE(
        activator_.wait_until([&] { return is_listening(socket()); }, std::chrono::seconds(4)))
        << "systemd-socket-activate is not listening on " << socket();
  }

  int wait_exit() { return activator_.wait_for_exit(std::chrono::seconds(20)).value_or(-1); }

  bool signature_verifies(Client& c, const std::string& data) {
    auto res = c.post("/v1/keys/shop/sign", daemon::testing::sign_body(data));
    if (res.result_int() != 200) return false;
    auto der = c.get("/v1/keys/shop/public-key?format=der-base64");
    const Bytes spki =
        *base64_decode(daemon::testing::body_json(der)["public_key"].get<std::string>());
    const Bytes sig =
        *base64_decode(daemon::testing::body_json(res)["signature"].get<std::string>());
    return pkcs11::verify_rsa(spki, false, 0, as_bytes(data), sig);
  }

  // The token label is the one the shipped configuration names.
  p11signd::testing::SoftHsm hsm_{"payments"};
  // systemd-socket-activate, which execs p11signd in place (the same pid).
  p11signd::testing::ChildProcess activator_;
};

TEST_F(SocketActivationTest, FirstConnectionStartsTheDaemonWhichSignsReloadsAndStops) {
  NotifySocket notify(path("notify.sock"));
  start(notify.path());

  // The socket exists before the daemon does: this connection is what starts it, and its request
  // is answered once the daemon has logged in and adopted the socket.
  Client c(socket());
  EXPECT_TRUE(signature_verifies(c, "activated"));
  const std::string ready = notify.wait_for("READY=1");
  EXPECT_NE(ready.find("STATUS="), std::string::npos) << ready;
  EXPECT_EQ(ready.find("RELOADING=1"), std::string::npos) << ready;

  activator_.signal(SIGHUP);
  const std::string reload = notify.wait_for("READY=1");
  EXPECT_NE(reload.find("RELOADING=1"), std::string::npos) << reload;
  EXPECT_LT(reload.find("RELOADING=1"), reload.rfind("READY=1")) << reload;
  EXPECT_TRUE(signature_verifies(c, "after reload"));

  activator_.signal(SIGTERM);
  notify.wait_for("STOPPING=1");
  EXPECT_EQ(wait_exit(), 0);
  // The socket file belongs to whoever created it (systemd), not to the daemon: it stays.
  EXPECT_TRUE(std::filesystem::exists(socket()));
}

// A PIN the token refuses, under socket activation. Exiting 78 would not stop anything: the socket
// unit would start the service again at once for the client still waiting, logging in again with
// the same PIN. The daemon stays up instead, tells every client why, and exits 78 when stopped.
TEST_F(SocketActivationTest, ARefusedPinIsAnsweredNotTriedAgain) {
  std::ofstream(path("pin"), std::ios::trunc) << "99999999\n";  // the credential, wrong
  NotifySocket notify(path("notify.sock"));
  start(notify.path());
  for (int i = 0; i < 2; ++i) {  // the client that started it, then another
    Client c(socket());
    const auto res = c.get("/v1/health");
    EXPECT_EQ(res.result_int(), 503u) << res.body();
    EXPECT_EQ(daemon::testing::error_code_of(res), "not_started");
    EXPECT_NE(res.body().find("CKR_PIN_INCORRECT"), std::string::npos) << res.body();
  }
  const std::string ready = notify.wait_for("READY=1");
  EXPECT_NE(ready.find("STATUS=not started"), std::string::npos) << ready;
  // A reload (logrotate's postrotate) must not end it: Restart= would start it again with the PIN.
  activator_.signal(SIGHUP);
  Client after_reload(socket());
  EXPECT_EQ(daemon::testing::error_code_of(after_reload.get("/v1/health")), "not_started");
  EXPECT_TRUE(activator_.running());
  activator_.signal(SIGTERM);
  EXPECT_EQ(wait_exit(), 78);
}

// A daemon that did not start keeps the server's bound on connections served at once
// (max-connections' default, 1024): past it a connection is closed unanswered, and once some are
// gone the next one gets its 503 again. Every connection is held open without a request.
TEST_F(SocketActivationTest, TheRefusalServerServesAtMostMaxConnectionsAtOnce) {
  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  lim.rlim_cur = std::min<rlim_t>(4096, lim.rlim_max);
  if (setrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur < 4096) {
    GTEST_SKIP() << "RLIMIT_NOFILE too low to hold 1024 connections (the daemon inherits it)";
  }
  std::ofstream(path("pin"), std::ios::trunc) << "99999999\n";  // the credential, wrong
  NotifySocket notify(path("notify.sock"));
  start(notify.path());
  {
    Client first(socket());
    ASSERT_EQ(daemon::testing::error_code_of(first.get("/v1/health")), "not_started");
  }
  std::vector<int> held;
  for (int i = 0; i < 1024; ++i) {
    const int fd = connect_to(socket());
    ASSERT_GE(fd, 0) << "connection " << i;
    held.push_back(fd);
  }
  // The last one held is in the daemon's hands once one more is answered or dropped after it.
  const int over = connect_to(socket());
  ASSERT_GE(over, 0);
  const std::string request = "GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(::send(over, request.data(), request.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(request.size()));
  EXPECT_EQ(read_until_closed(over, milliseconds(5000)), "")
      << "a connection past the bound must be closed unanswered";
  ::close(over);
  for (int i = 0; i < 8; ++i) ::close(held[i]);
  // The daemon sees the closes when it next reads them; a loaded machine may take a while.
  bool answered = false;
  for (const auto until = steady_clock::now() + std::chrono::seconds(8);
       !answered && steady_clock::now() < until;) {
    Client again(socket());
    try {
      answered = daemon::testing::error_code_of(again.get("/v1/health")) == "not_started";
    } catch (const std::exception&) {
      std::this_thread::sleep_for(milliseconds(20));
    }
  }
  EXPECT_TRUE(answered) << "no answer once connections were given back";
  for (std::size_t i = 8; i < held.size(); ++i) ::close(held[i]);
  EXPECT_TRUE(activator_.running());
}

// WATCHDOG_USEC as systemd sets it for WatchdogSec=: the daemon pings at half the interval while
// idle or while its workers finish requests, and stops pinging while a token call hangs past its
// request's deadline, so that systemd would kill and restart it; pings resume once the call
// returns. (A call still inside its deadline - a long key generation - keeps the pings going:
// WorkerPool.ALongJobInsideItsDeadlineIsProgress.)
TEST_F(SocketActivationTest, WatchdogPingsOnlyWhileTheWorkersMakeProgress) {
  write_config(HANGING_MODULE);
  {
    std::string conf = read_file(path("p11signd.conf"));
    conf.replace(conf.find("[daemon]\n"), 9, "[daemon]\nrequest-timeout-ms = 300\n");
    std::ofstream(path("p11signd.conf")) << conf;
  }
  const std::string hang_file = path("hang");
  NotifySocket notify(path("notify.sock"));
  start(notify.path(), {"WATCHDOG_USEC=600000", "P11SIGND_HANG_FILE=" + hang_file,
                        "P11SIGND_REAL_MODULE=" + p11signd::testing::softhsm_module()});
  Client c(socket());
  EXPECT_TRUE(signature_verifies(c, "through the hanging module, not hanging yet"));
  notify.wait_for("READY=1");
  EXPECT_GE(notify.count("WATCHDOG=1", milliseconds(2000)), 2) << "no pings while idle";

  std::ofstream(hang_file) << "hang\n";
  std::thread stuck([this] {
    Client mine(socket());
    EXPECT_EQ(mine.post("/v1/keys/shop/sign", daemon::testing::sign_body("hung")).result_int(),
              504);
  });
  // Once the call hangs: its 300 ms deadline and one interval for the last progress to age, then
  // silence for more than a whole interval.
  for (int i = 0; i < 1000 && !std::filesystem::exists(hang_file + ".entered"); ++i) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  ASSERT_TRUE(std::filesystem::exists(hang_file + ".entered"))
      << "the sign never reached the token";
  notify.count("WATCHDOG=1", milliseconds(900));  // read and let pass: the deadline is not yet due
  EXPECT_EQ(notify.count("WATCHDOG=1", milliseconds(1200)), 0) << "pinged while the token hung";

  std::filesystem::remove(hang_file);
  stuck.join();
  notify.wait_for("WATCHDOG=1", milliseconds(2000));
  activator_.signal(SIGTERM);
  EXPECT_EQ(wait_exit(), 0);
}

}  // namespace
}  // namespace p11signd::systemd_test
