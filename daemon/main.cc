// p11signd: parse flags, load the configuration, open the token, serve. Everything else lives in
// the library.
#include <signal.h>

#include <boost/program_options.hpp>
#include <iostream>

#include "daemon/daemon.h"
#include "daemon/make_keystore.h"

namespace po = boost::program_options;
using namespace p11signd::daemon;

namespace {

struct Flags {
  std::string config = "/etc/p11signd/p11signd.conf";
  bool check_config = false;
  bool dev = false;
  std::string dev_dir = ".p11signd-dev";
};

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
  } catch (const po::error& e) {
    std::cerr << "p11signd: " << e.what() << "\n" << desc << '\n';
    return 2;
  }
  return -1;
}

int report(const std::vector<std::string>& problems) {
  for (const auto& p : problems) std::cerr << "p11signd: " << p << '\n';
  return problems.empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  if (int code = parse_flags(argc, argv, flags); code >= 0) return code;
  signal(SIGPIPE, SIG_IGN);
  if (flags.dev) return run_dev_mode({flags.dev_dir});

  ConfigResult loaded = load_config(flags.config);
  if (!loaded.ok()) return report(loaded.problems);
  try {
    std::unique_ptr<KeyStore> store = make_keystore(loaded.config);
    if (int code = report(check_with_store(loaded.config, *store)); code != 0) return code;
    if (flags.check_config) {
      std::cout << "p11signd: " << flags.config << " is valid: " << loaded.config.keys.size()
                << " key(s) resolved on the token, " << loaded.config.peers.size() << " peer(s)\n";
      return 0;
    }
    Daemon daemon(loaded.config, std::move(store));
    return daemon.run();
  } catch (const std::exception& e) {
    std::cerr << "p11signd: " << e.what() << '\n';
    return 1;
  }
}
