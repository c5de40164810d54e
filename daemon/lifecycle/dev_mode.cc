#include "daemon/lifecycle/dev_mode.h"

#include <openssl/rand.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "common/encoding.h"
#include "pkcs11/key_generation.h"
#include "pkcs11/token.h"
#include "pkcs11/token_init.h"

namespace p11signd::daemon {
namespace {

namespace fs = std::filesystem;

void write_private_file(const fs::path& path, const std::string& content) {
  const mode_t old =
      ::umask(077);  // created 0600 from the start, never readable by others even briefly
  std::ofstream out(path, std::ios::trunc);
  ::umask(old);
  out << content;
  if (!out) throw std::runtime_error("cannot write " + path.string());
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
}

std::string random_pin() {
  unsigned char bytes[12];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("no random bytes for a PIN");
  return hex_encode(bytes);
}

// Reads a PIN file written earlier, or makes and writes a new PIN.
pkcs11::Secret pin_in(const fs::path& path) {
  if (!fs::exists(path)) write_private_file(path, random_pin() + "\n");
  return pkcs11::read_pin_file(path);
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  return {std::istreambuf_iterator<char>(in), {}};
}

// The directory the files were written for: the parent of the tokendir write_softhsm_conf() wrote
// (DIR/tokens). Empty when there is no configuration yet, or its tokendir was pointed elsewhere on
// purpose.
fs::path written_for(const fs::path& dir) {
  if (!fs::exists(dir / "softhsm2.conf")) return {};
  const std::string prefix = "directories.tokendir = ";
  std::istringstream in(read_text(dir / "softhsm2.conf"));
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(prefix, 0) != 0) continue;
    const fs::path tokens(line.substr(prefix.size()));
    return tokens.filename() == "tokens" ? tokens.parent_path() : fs::path();
  }
  return {};
}

// Every value that starts with from/ starts with to/ instead.
std::string repoint(const std::string& text, const fs::path& from, const fs::path& to) {
  const std::string old_prefix = "= " + from.string() + "/";
  const std::string new_prefix = "= " + to.string() + "/";
  std::string out = text;
  for (auto at = out.find(old_prefix); at != std::string::npos;
       at = out.find(old_prefix, at + new_prefix.size())) {
    out.replace(at, old_prefix.size(), new_prefix);
  }
  return out;
}

// A dev directory that was moved or copied still names its old place: SoftHSM would use the old
// token (or none), and the daemon the old socket, PIN and audit log. The paths into the old
// directory are pointed into this one; any other edit of p11signd.conf is kept.
std::string follow_moved_directory(const fs::path& dir) {
  const fs::path old_dir = written_for(dir);
  std::error_code ec;
  if (old_dir.empty() || fs::equivalent(old_dir, dir, ec)) return "";
  for (const char* name : {"softhsm2.conf", "p11signd.conf"}) {
    if (!fs::exists(dir / name)) continue;
    const std::string text = read_text(dir / name);
    // Written only when a path changed: a file that could not be read whole is never truncated.
    if (const std::string moved = repoint(text, old_dir, dir); moved != text) {
      write_private_file(dir / name, moved);
    }
  }
  return "p11signd: " + dir.string() + " was written for " + old_dir.string() +
         " (moved or copied): its softhsm2.conf and p11signd.conf now point into " + dir.string() +
         "\n";
}

void write_softhsm_conf(const fs::path& dir) {
  fs::create_directories(dir / "tokens");
  const auto conf = dir / "softhsm2.conf";
  if (!fs::exists(conf)) {
    std::ofstream(conf) << "directories.tokendir = " << fs::absolute(dir / "tokens").string()
                        << "\nobjectstore.backend = file\nlog.level = ERROR\n";
  }
  ::setenv("SOFTHSM2_CONF", fs::absolute(conf).c_str(), 1);
}

// The demo keys and the audit key, generated on the dev token the first time.
void ensure_dev_keys(const std::string& module, const fs::path& pin_file) {
  pkcs11::TokenConfig config;
  config.module_path = module;
  config.uri = std::string("pkcs11:token=") + kDevTokenLabel;
  config.read_pin = [pin_file] { return pkcs11::read_pin_file(pin_file); };
  config.max_sessions = 1;
  auto token = pkcs11::Token::open(std::move(config));
  for (const char* name : {kDevKeyName, kDevEcKeyName, kDevAuditKeyName}) {
    const KeyShape shape =
        std::string_view(name) == kDevEcKeyName ? KeyShape(KeyType::kEcP256, 256) : KeyShape(2048);
    pkcs11::KeySpec spec;
    spec.name = name;
    spec.label = name;
    try {
      token->replace_keys({spec});
    } catch (const pkcs11::Error& e) {
      if (e.category() != pkcs11::ErrorCategory::kNotFound) throw;
      pkcs11::generate_key(*token, name, {name, {}}, shape);
    }
  }
}

std::string config_text(const DevEnvironment& env, const std::string& module) {
  const std::string uid = std::to_string(::getuid());
  return "# Generated by p11signd --dev; edit freely, it is reused on the next start.\n"
         "[daemon]\nsocket = " +
         env.socket.string() +
         "\nsocket-mode = 0600\nworkers = 0\naudit-log = " + (env.dir / "audit.log").string() +
         "\naudit-key = " + kDevAuditKeyName + "\nadmin-uids = " + uid +
         "\n\n[token]\nmodule = " + module + "\nuri = pkcs11:token=" + kDevTokenLabel +
         "\npin-file = " + (env.dir / "pin").string() + "\n\n[key." + kDevKeyName +
         "]\nlabel = " + kDevKeyName + "\nallow-uids = " + uid +
         "\nschemes = "
         "raw,mypos,swifood,carat,jws,amazonpay,alipay,wechatpay,alipay-v3,httpsig,ob-jws,"
         "client-assertion\n"
         "mypos.sid = 000000000000010\nmypos.wallet-number = 61938166610\nmypos.key-index = 1\n"
         "swifood.app-id = dev-app\nswifood.store-key = DEVSTORE\n"
         "jws.kid = demo\namazonpay.public-key-id = DEV-PUBLIC-KEY-ID\namazonpay.region = eu\n"
         "alipay.app-id = 2021000000000000\nalipay-v3.app-id = 2021000000000000\n"
         "wechatpay.mchid = 1900000001\n"
         "wechatpay.serial-no = DEVSERIAL\nob-jws.kid = demo\nob-jws.iss = dev-org/dev-software\n"
         "client-assertion.client-id = dev-client\n\n[key." +
         kDevEcKeyName + "]\nlabel = " + kDevEcKeyName + "\nallow-uids = " + uid +
         "\nschemes = raw,jws,httpsig\njws.kid = " + kDevEcKeyName + "\n\n[key." +
         kDevAuditKeyName + "]\nlabel = " + kDevAuditKeyName + "\n";
}

}  // namespace

DevEnvironment prepare_dev_environment(const fs::path& dir, const std::string& softhsm_module) {
  DevEnvironment env;
  fs::create_directories(dir);
  fs::permissions(dir, fs::perms::owner_all);
  env.dir = fs::absolute(dir);
  env.config_path = env.dir / "p11signd.conf";
  env.socket = env.dir / "p11signd.sock";
  env.moved_note = follow_moved_directory(env.dir);
  write_softhsm_conf(env.dir);
  if (!pkcs11::token_label_exists(softhsm_module, kDevTokenLabel)) {
    pkcs11::initialize_token(softhsm_module, kDevTokenLabel, pin_in(env.dir / "so-pin"),
                             pin_in(env.dir / "pin"));
  }
  ensure_dev_keys(softhsm_module, env.dir / "pin");
  if (!fs::exists(env.config_path))
    write_private_file(env.config_path, config_text(env, softhsm_module));
  return env;
}

std::string dev_banner(const DevEnvironment& env, const std::string& sock) {
  return "p11signd dev mode\n"
         "  directory: " +
         env.dir.string() +
         "\n"
         "  socket:    " +
         sock +
         "\n"
         "  pid:       " +
         std::to_string(::getpid()) + " (kill -HUP " + std::to_string(::getpid()) + " re-reads " +
         env.config_path.string() +
         "; Ctrl-C stops)\n"
         "  token:     pkcs11:token=" +
         kDevTokenLabel + " (SoftHSM, PIN in " + (env.dir / "pin").string() +
         ")\n"
         "  key:       " +
         kDevKeyName + " (RSA-2048) and " + kDevEcKeyName +
         " (ECDSA P-256), generated on the token\n"
         "  audit:     " +
         (env.dir / "audit.log").string() + " (hash-chained, checkpoints signed by key '" +
         kDevAuditKeyName +
         "')\n"
         "Try:\n"
         "  curl -sS --unix-socket " +
         sock +
         " -H 'Content-Type: application/json' -d '{\"alg\":\"RSA-SHA256\",\"data\":\"aGVsbG8=\"}' "
         "http://localhost/v1/keys/" +
         kDevKeyName +
         "/sign\n"
         "  P11SIGN_SOCKET=" +
         sock + " build/bin/p11sign keys\n" + "  build/bin/p11sign audit verify " +
         (env.dir / "audit.log").string() + "\n";
}

}  // namespace p11signd::daemon
