// p11signd: parse flags, load the configuration, open the token, serve. Everything else lives in
// the library.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <boost/program_options.hpp>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <optional>
#include <variant>

#include "common/option_errors.h"
#include "daemon/keystore/make_keystore.h"
#include "daemon/lifecycle/daemon.h"
#include "daemon/lifecycle/exit_codes.h"
#include "daemon/server/refusal_server.h"

namespace po = boost::program_options;
using namespace p11signd::daemon;

namespace {

struct Flags {
  std::string config = "/etc/p11signd/p11signd.conf";
  bool check_config = false;
  bool dev = false;
  std::string dev_dir = ".p11signd-dev";
};

int usage_error(const po::options_description& desc, const std::string& message) {
  std::cerr << "p11signd: " << message << "\n" << desc << '\n';
  return kExitUsage;
}

// Returns the exit code to stop with, or -1 to go on.
int parse_flags(int argc, char** argv, Flags& f) {
  po::options_description desc("p11signd: RSA signatures from a PKCS#11 token over a Unix socket");
  desc.add_options()("help,h", "show this help")(
      "config,c", po::value(&f.config)->default_value(f.config), "configuration file (INI)")(
      "check-config", po::bool_switch(&f.check_config),
      "validate the configuration, log in, resolve every key, then exit")(
      "dev", po::bool_switch(&f.dev), "development mode with its own SoftHSM token")(
      "dev-dir", po::value(&f.dev_dir)->default_value(f.dev_dir), "directory for --dev");
  try {
    po::variables_map vm;
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
    if (vm.count("help")) {
      std::cout << desc << '\n';
      return 0;
    }
    // Ignored, the daemon would go on to the system's configuration: not what was asked for.
    if (!vm["dev-dir"].defaulted() && !f.dev) return usage_error(desc, "--dev-dir needs --dev");
    // --dev serves its own directory's configuration; a --config beside it would be ignored.
    if (f.dev && !vm["config"].defaulted()) {
      return usage_error(desc, "--dev uses DIR/p11signd.conf; give --dev-dir DIR, not --config");
    }
  } catch (const po::error& e) {
    const std::vector<std::string> arguments(argv + 1, argv + argc);
    return usage_error(desc, p11signd::describe_option_error(e, arguments));
  }
  return -1;
}

std::string joined(const std::vector<std::string>& problems) {
  std::string out;
  for (const auto& p : problems) out += (out.empty() ? "" : "; ") + p;
  return out;
}

// A start that failed: its exit status and why (already printed).
struct StartFailure {
  int code;
  std::string reason;
};
using Started = std::variant<int, StartFailure>;  // run()'s exit status, or the failure

StartFailure failed(const std::string& reason, int code) {
  std::cerr << "p11signd: " << reason << '\n';
  return {code, reason};
}

// Prints one line per problem; the failure, or nullopt when there were none.
std::optional<StartFailure> problems_in(const std::vector<std::string>& problems) {
  if (problems.empty()) return std::nullopt;
  for (const auto& p : problems) std::cerr << "p11signd: " << p << '\n';
  return StartFailure{kExitConfig, joined(problems)};
}

// A configuration beside a softhsm2.conf (one that `p11signd --dev` wrote, or the package's
// /etc/p11signd), read without SOFTHSM2_CONF naming it: its token is only found with that file.
void print_dev_token_hint(const std::string& config_path) {
  const auto dir = std::filesystem::absolute(config_path).parent_path();
  const auto softhsm_conf = dir / "softhsm2.conf";
  const char* env = std::getenv("SOFTHSM2_CONF");
  if (!std::filesystem::exists(softhsm_conf) || (env && softhsm_conf == env)) return;
  std::cerr << "p11signd: " << softhsm_conf.string()
            << " is beside the configuration: run with SOFTHSM2_CONF=" << softhsm_conf.string();
  // A directory --dev made holds its token directory (the packaged /etc/p11signd does not).
  if (std::filesystem::is_directory(dir / "tokens")) {
    std::cerr << ", or check a --dev directory with p11signd --dev --dev-dir " << dir.string()
              << " --check-config";
  }
  std::cerr << '\n';
}

// Loads the configuration, opens the token and serves. The token is closed again by the time this
// returns, whatever happened.
Started start(Flags& flags) {
  std::optional<DevEnvironment> dev;
  try {
    if (flags.dev) {
      dev = prepare_dev_mode({flags.dev_dir, P11SIGND_SOFTHSM2_MODULE});
      flags.config = dev->config_path.string();
    }
  } catch (const std::exception& e) {
    return failed(e.what(), kExitConfig);
  }
  ConfigResult loaded = load_config(flags.config);
  if (auto failure = problems_in(loaded.problems)) return *failure;
  for (const auto& w : config_warnings(loaded.config))
    std::cerr << "p11signd: warning: " << w << '\n';
  std::unique_ptr<KeyStore> store;
  try {
    store = make_keystore(loaded.config);
  } catch (const StoreError& e) {
    StartFailure failure = failed(e.what(), exit_code_for(e));
    if (!flags.dev && failure.code == kExitUnavailable) print_dev_token_hint(flags.config);
    return failure;
  }
  try {
    SchemeCheck checked = check_with_store(loaded.config, *store);
    if (auto failure = problems_in(checked.problems)) return *failure;
    for (const auto& w : checked.warnings) std::cerr << "p11signd: warning: " << w << '\n';
    if (flags.check_config) {
      std::cout << "p11signd: " << flags.config << " is valid: " << loaded.config.keys.size()
                << " key(s) resolved on the token, " << loaded.config.peers.size() << " peer(s)\n";
      return kExitOk;
    }
    DaemonOptions options;
    options.peers = std::move(checked.peers);
    if (dev) {
      options.on_listening = [banner = dev_banner(*dev, loaded.config.daemon.socket)] {
        std::cout << banner << std::flush;
      };
    }
    Daemon daemon(loaded.config, std::move(store), options);
    return daemon.run();
  } catch (const std::exception& e) {
    return failed(e.what(), kExitFailure);
  }
}

// The process holds the PIN and, during an import, a private key: no core file may carry them off,
// and no process of the same uid may read its memory through /proc or ptrace. fs.suid_dumpable can
// still let the kernel dump a non-dumpable process, hence the core limit too. --dev keeps both, for
// debugging a throwaway token.
void keep_memory_private() {
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    std::cerr << "p11signd: warning: cannot turn core dumps off (prctl PR_SET_DUMPABLE): "
              << std::strerror(errno) << '\n';
  }
  const rlimit no_core{0, 0};
  if (::setrlimit(RLIMIT_CORE, &no_core) != 0) {
    std::cerr << "p11signd: warning: cannot set the core file size limit to 0: "
              << std::strerror(errno) << '\n';
  }
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  if (int code = parse_flags(argc, argv, flags); code >= 0) return code;
  if (!flags.dev) keep_memory_private();
  signal(SIGPIPE, SIG_IGN);
  const Started started = start(flags);
  if (const int* code = std::get_if<int>(&started)) return *code;
  const auto& failure = std::get<StartFailure>(started);
  // Under socket activation a failure that a restart will not fix is answered instead of exited on
  // (daemon/server/refusal_server.h): systemd would start us again at once, logging in with the
  // same PIN. start() has closed the token by now.
  if (failure.code != kExitConfig || flags.check_config || flags.dev ||
      !started_by_socket_activation()) {
    return failure.code;
  }
  return serve_refusals(failure.reason);
}
