#include "tests/testing/softhsm.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <fstream>
#include <stdexcept>

namespace p11signd::testing {

std::string softhsm_module() { return P11SIGND_SOFTHSM2_MODULE; }

SoftHsm::SoftHsm(const std::string& label) : label_(label) {
  char tmpl[] = "/tmp/p11signd-test.XXXXXX";
  if (mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  std::filesystem::create_directory(dir_ / "tokens");
  const auto conf = dir_ / "softhsm2.conf";
  std::ofstream(conf) << "directories.tokendir = " << (dir_ / "tokens").string() << "\n"
                      << "objectstore.backend = file\nlog.level = ERROR\n";
  ::setenv("SOFTHSM2_CONF", conf.c_str(), 1);
  const std::string cmd = std::string(P11SIGND_SOFTHSM2_UTIL) + " --init-token --free --label '" +
                          label + "' --pin " + kUserPin + " --so-pin " + kSoPin + " >/dev/null";
  if (std::system(cmd.c_str()) != 0) throw std::runtime_error("softhsm2-util --init-token failed");
}

SoftHsm::~SoftHsm() {
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::string SoftHsm::pin_file() const {
  const auto path = dir_ / "pin";
  std::ofstream(path) << kUserPin << "\n";
  ::chmod(path.c_str(), 0600);
  return path;
}

pkcs11::TokenConfig SoftHsm::config(std::vector<pkcs11::KeySpec> keys) const {
  pkcs11::TokenConfig c;
  c.module_path = softhsm_module();
  c.uri = uri();
  c.read_pin = [] { return pkcs11::Secret(std::string(kUserPin)); };
  c.max_sessions = 8;
  c.keys = std::move(keys);
  c.backoff_initial = std::chrono::milliseconds(10);
  c.backoff_max = std::chrono::milliseconds(200);
  return c;
}

pkcs11::KeySpec by_label(const std::string& name, const std::string& label) {
  pkcs11::KeySpec spec;
  spec.name = name;
  spec.label = label;
  return spec;
}

}  // namespace p11signd::testing
