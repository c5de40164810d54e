#include "tests/hostile/hostile_daemon.h"

#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "pkcs11/key_generation.h"

namespace p11signd::hostile {
namespace {

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace

HostileDaemon::HostileDaemon(Options options) : socket_(socket_dir_.file("p11signd.sock")) {
  ::chmod(socket_dir_.path().c_str(), 0755);
  {
    auto token = pkcs11::Token::open(hsm_.config());
    for (const std::string& label : options.token_keys) {
      pkcs11::generate_key(*token, label, {label, {}}, 2048);
    }
  }
  if (options.key_sections.empty()) options.key_sections = key_section("shop", ::getuid());
  write_config(options.key_sections, options.daemon_extra);
  process_.spawn({P11SIGND_BINARY, "--config", config_path()}, log_path(),
                 p11signd::testing::ChildProcess::Output::kBothToFile);
  const bool up = process_.wait_until([&] { return daemon::testing::health_answers(socket_, 200); },
                                      std::chrono::seconds(30));
  if (!up) throw std::runtime_error("p11signd did not answer on " + socket_ + ":\n" + log());
}

HostileDaemon::~HostileDaemon() { process_.stop(); }

std::string HostileDaemon::path(const std::string& name) const {
  return (hsm_.dir() / name).string();
}
std::string HostileDaemon::audit_path() const { return path("audit.log"); }
std::string HostileDaemon::config_path() const { return path("p11signd.conf"); }
std::string HostileDaemon::log_path() const { return path("p11signd.log"); }
std::string HostileDaemon::log() const { return read_all(log_path()); }

std::string HostileDaemon::key_section(const std::string& name, uid_t uid,
                                       const std::string& schemes) {
  return "[key." + name + "]\nlabel = " + name + "\nallow-uids = " + std::to_string(uid) +
         "\nschemes = " + schemes + "\n";
}

void HostileDaemon::write_config(const std::string& key_sections, const std::string& daemon_extra) {
  std::ofstream(config_path()) << "[daemon]\nsocket = " << socket_ << "\nsocket-mode = 0666"
                               << "\naudit-log = " << audit_path() << "\n"
                               << daemon_extra
                               << "\n[token]\nmodule = " << p11signd::testing::softhsm_module()
                               << "\nuri = " << hsm_.uri() << "\npin-file = " << hsm_.pin_file()
                               << "\n"
                               << key_sections;
}

void HostileDaemon::reload(const std::string& key_sections, const std::string& daemon_extra) {
  write_config(key_sections, daemon_extra);
  process_.signal(SIGHUP);
}

std::vector<nlohmann::json> HostileDaemon::audit_records() const {
  std::istringstream in(read_all(audit_path()));
  std::vector<nlohmann::json> records;
  for (std::string line; std::getline(in, line);) records.push_back(nlohmann::json::parse(line));
  return records;
}

std::vector<nlohmann::json> HostileDaemon::audit_records(const std::string& op,
                                                         const std::string& result_prefix) const {
  std::vector<nlohmann::json> out;
  for (auto& r : audit_records()) {
    if (r.value("op", "") != op) continue;
    if (r.value("result", "").rfind(result_prefix, 0) != 0) continue;
    out.push_back(std::move(r));
  }
  return out;
}

int run_as(uid_t uid, gid_t gid, const std::function<int()>& body,
           const std::function<void()>& while_child_runs) {
  const pid_t child = ::fork();
  if (child < 0) return -1;
  if (child == 0) {
    if (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0) ::_exit(255);
    ::_exit(body() & 0xff);
  }
  if (while_child_runs) while_child_runs();
  int status = 0;
  if (::waitpid(child, &status, 0) != child || !WIFEXITED(status)) return -1;
  const int code = WEXITSTATUS(status);
  return code == 255 ? -1 : code;
}

int connect_unix(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    const int saved = errno;
    ::close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

}  // namespace p11signd::hostile
