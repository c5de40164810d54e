// Secrets against a local attacker: a PIN file that others can read is refused at start, and the
// daemon's memory (the PIN, an imported key) is out of reach of a process of the same uid and of
// core files (its core limit is 0), except in --dev.
#include <fcntl.h>
#include <linux/capability.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <vector>

#include "daemon/lifecycle/exit_codes.h"
#include "tests/hostile/hostile_daemon.h"

namespace p11signd::hostile {
namespace {

using daemon::testing::Client;
using daemon::testing::health_answers;
using daemon::testing::TempDir;

// argv run with no capabilities at all, as a service's unprivileged user runs. The kernel lets a
// process read another's memory only when the target's capabilities are a subset of the reader's;
// with none on either side, what decides is whether the target is dumpable. (As root the test
// would otherwise compare two root processes, where capabilities decide.)
std::vector<std::string> without_capabilities(std::vector<std::string> argv) {
  if (::geteuid() == 0) {
    argv.insert(argv.begin(), {"/usr/bin/setpriv", "--bounding-set=-all", "--inh-caps=-all"});
  }
  return argv;
}

// Drops every capability from this process's effective set (a no-op for an unprivileged process).
bool drop_capabilities() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (::syscall(SYS_capget, &header, data) != 0) return false;
  data[0].effective = 0;
  data[1].effective = 0;
  return ::syscall(SYS_capset, &header, data) == 0;
}

enum MemoryAccess { kReadable = 0, kRefused = 1, kTestBroken = 2 };

// Whether a process of the same uid, without capabilities, can read pid's environment: the
// kernel's ptrace access check, which (between processes without capabilities) refuses exactly
// when the target is not dumpable.
MemoryAccess memory_access_of_same_uid(pid_t pid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/environ";
  const pid_t child = ::fork();
  if (child < 0) return kTestBroken;
  if (child == 0) {
    if (!drop_capabilities()) ::_exit(kTestBroken);
    const int fd = ::open(path.c_str(), O_RDONLY);
    if (fd < 0) ::_exit(errno == EACCES || errno == EPERM ? kRefused : kTestBroken);
    char byte;
    ::_exit(::read(fd, &byte, 1) >= 0 ? kReadable : kRefused);
  }
  int status = 0;
  if (::waitpid(child, &status, 0) != child || !WIFEXITED(status)) return kTestBroken;
  return static_cast<MemoryAccess>(WEXITSTATUS(status));
}

// Starts argv (a p11signd) without capabilities and waits until it answers on socket.
void start_serving(p11signd::testing::ChildProcess& process, const std::vector<std::string>& argv,
                   const std::string& socket, const std::string& log) {
  process.spawn(without_capabilities(argv), log,
                p11signd::testing::ChildProcess::Output::kBothToFile);
  ASSERT_TRUE(
      process.wait_until([&] { return health_answers(socket, 200); }, std::chrono::seconds(30)))
      << "p11signd did not answer on " << socket;
}

// Lets this process, and so the daemon it starts, dump cores (as far as the hard limit allows, or
// any size as root): the daemon must then lower the limit itself for the check to pass.
void allow_core_files() {
  rlimit limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_CORE, &limit), 0);
  if (::geteuid() == 0) limit.rlim_max = RLIM_INFINITY;
  limit.rlim_cur = limit.rlim_max;
  ASSERT_EQ(::setrlimit(RLIMIT_CORE, &limit), 0);
}

// "Max core file size" from /proc/PID/limits: soft and hard, as written there.
std::string core_limit_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/limits");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("Max core file size", 0) != 0) continue;
    std::istringstream fields(line.substr(std::string("Max core file size").size()));
    std::string soft, hard;
    fields >> soft >> hard;
    return soft + " " + hard;
  }
  return "not found";
}

TEST(HostileSecrets, TheDaemonIsNotDumpableAndItsCoreLimitIsZero) {
  allow_core_files();
  HostileDaemon made;  // the token, its key and the configuration
  ASSERT_EQ(made.stop(), daemon::kExitOk);
  p11signd::testing::ChildProcess d;
  start_serving(d, {P11SIGND_BINARY, "--config", made.config_path()}, made.socket(),
                made.path("again.log"));
  EXPECT_EQ(memory_access_of_same_uid(d.pid()), kRefused)
      << "a process of the daemon's uid can read its memory";
  EXPECT_EQ(core_limit_of(d.pid()), "0 0");
  Client c(made.socket());
  EXPECT_EQ(c.post("/v1/keys/shop/sign", daemon::testing::sign_body("hello")).result_int(), 200u)
      << "non-dumpable, the daemon still serves and signs";
}

// The control: --dev keeps the process dumpable, and the same check then says so (the check can
// tell the two apart).
TEST(HostileSecrets, DevModeStaysDumpable) {
  TempDir dir;
  p11signd::testing::ChildProcess dev;
  start_serving(dev, {P11SIGND_BINARY, "--dev", "--dev-dir", dir.file("dev")},
                dir.file("dev/p11signd.sock"), dir.file("log"));
  EXPECT_EQ(memory_access_of_same_uid(dev.pid()), kReadable);
}

TEST(HostileSecrets, APinFileOthersCanReadIsRefusedAtStart) {
  HostileDaemon d;
  ASSERT_EQ(d.stop(), daemon::kExitOk);
  const std::string pin = d.path("pin");
  for (const mode_t mode : {0640, 0604}) {
    ASSERT_EQ(::chmod(pin.c_str(), mode), 0);
    p11signd::testing::ChildProcess again;
    again.spawn({P11SIGND_BINARY, "--config", d.config_path()}, d.path("again.log"),
                p11signd::testing::ChildProcess::Output::kBothToFile);
    EXPECT_EQ(again.wait_for_exit(std::chrono::seconds(30)), daemon::kExitConfig);
    std::ifstream in(d.path("again.log"));
    const std::string log{std::istreambuf_iterator<char>(in), {}};
    char octal[8];
    std::snprintf(octal, sizeof octal, "%04o", static_cast<unsigned>(mode));
    EXPECT_NE(log.find("PIN file '" + pin + "' is readable by its group or by others (mode " +
                       octal + ")"),
              std::string::npos)
        << log;
    EXPECT_NE(log.find("chmod go-rwx '" + pin + "'"), std::string::npos) << log;
  }
}

}  // namespace
}  // namespace p11signd::hostile
