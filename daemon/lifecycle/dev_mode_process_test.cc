// `p11signd --dev` as README.md and operations.md describe it, run as the real executable: it
// prints the socket path and a curl command that really signs, keeps the PIN in DIR/pin with mode
// 0600, serves an RSA-2048 key named demo, reuses token and key on a second start, and defaults
// DIR to ./.p11signd-dev.
#include <sys/stat.h>
#include <sys/wait.h>

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "common/encoding.h"
#include "common/openssl_ptr.h"
#include "common/public_key.h"
#include "daemon/lifecycle/exit_codes.h"
#include "daemon/testing/test_support.h"
#include "tests/testing/child_process.h"

namespace p11signd::daemon {
namespace {

using namespace p11signd::daemon::testing;
namespace fs = std::filesystem;

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// The rest of the first line of text that starts with prefix, or "" when none does.
std::string line_after(const std::string& text, const std::string& prefix) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(prefix, 0) == 0) return line.substr(prefix.size());
  }
  return "";
}

// Runs a shell command; its standard output.
std::string shell_output(const std::string& command) {
  FILE* p = ::popen(command.c_str(), "r");
  if (!p) return "";
  std::string out;
  std::array<char, 4096> buf;
  for (std::size_t n; (n = std::fread(buf.data(), 1, buf.size(), p)) > 0;)
    out.append(buf.data(), n);
  ::pclose(p);
  return out;
}

unsigned mode_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

// SoftHSM keeps each token in a directory of its own under tokens/.
std::set<std::string> token_dirs(const std::string& dev_dir) {
  std::set<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dev_dir + "/tokens", ec)) {
    out.insert(e.path().filename().string());
  }
  return out;
}

class DevModeProcessTest : public ::testing::Test {
 protected:
  std::string dev_dir() const { return dir_.file("dev"); }
  std::string socket() const { return dev_dir() + "/p11signd.sock"; }
  std::string log_path() const { return dir_.file("daemon.log"); }

  // Starts `p11signd --dev` with argv (and its standard output and error in log_path()), then waits
  // until /v1/health on socket_path answers 200.
  void start(const std::vector<std::string>& argv, const std::string& socket_path) {
    daemon_.spawn(argv, log_path(), p11signd::testing::ChildProcess::Output::kBothToFile);
    ASSERT_TRUE(daemon_.wait_until([&] { return health_answers(socket_path, 200); },
                                   std::chrono::seconds(30)))
        << "p11signd --dev did not answer on " << socket_path << ":\n"
        << read_all(log_path());
  }
  void start() { start({P11SIGND_BINARY, "--dev", "--dev-dir", dev_dir()}, socket()); }

  // The demo entry of GET /v1/keys.
  nlohmann::json demo_entry(const std::string& socket_path) {
    Client c(socket_path);
    auto res = c.get("/v1/keys");
    EXPECT_EQ(res.result_int(), 200u) << res.body();
    const auto body = body_json(res);  // kept: a range-for over a member of a temporary dangles
    for (const auto& k : body["keys"]) {
      if (k["name"] == "demo") return k;
    }
    ADD_FAILURE() << "no key demo in " << res.body();
    return nlohmann::json::object();
  }

  Bytes demo_spki(const std::string& socket_path) {
    Client c(socket_path);
    auto res = c.get("/v1/keys/demo/public-key?format=der-base64");
    EXPECT_EQ(res.result_int(), 200u) << res.body();
    return base64_decode(body_json(res).value("public_key", "")).value_or(Bytes{});
  }

  TempDir dir_;
  p11signd::testing::ChildProcess daemon_;
};

// The dev directory's configuration checked without --dev: SoftHSM looks elsewhere and sees no
// token; the messages say why and what to run instead.
TEST_F(DevModeProcessTest, CheckingTheDevConfigurationWithoutDevPointsAtSoftHsm2Conf) {
  start();
  ASSERT_EQ(daemon_.stop(), kExitOk);
  const std::string conf = dev_dir() + "/p11signd.conf";
  const std::string out = shell_output("env -u SOFTHSM2_CONF " + std::string(P11SIGND_BINARY) +
                                       " --check-config --config " + conf + " 2>&1");
  EXPECT_NE(out.find("(tokens present: none; SoftHSM reads its token directory from the file "
                     "SOFTHSM2_CONF names, unset here, so /etc/softhsm/softhsm2.conf"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("run with SOFTHSM2_CONF=" + dev_dir() +
                     "/softhsm2.conf, or check a --dev "
                     "directory with p11signd --dev --dev-dir " +
                     dev_dir() + " --check-config\n"),
            std::string::npos)
      << out;
  const std::string dev = shell_output(std::string(P11SIGND_BINARY) + " --dev --dev-dir " +
                                       dev_dir() + " --check-config 2>&1");
  EXPECT_NE(dev.find(" is valid: "), std::string::npos) << dev;
}

TEST_F(DevModeProcessTest, PrintsTheSocketAndACurlCommandThatSigns) {
  start();
  const std::string banner = read_all(log_path());
  EXPECT_EQ(line_after(banner, "  socket:    "), socket()) << banner;
  // The process to send SIGHUP to after editing the file.
  EXPECT_EQ(
      line_after(banner, "  pid:       ").rfind(std::to_string(daemon_.pid()) + " (kill -HUP ", 0),
      0u)
      << banner;
  const std::string curl = line_after(banner, "  curl ");
  ASSERT_FALSE(curl.empty()) << "no curl example in:\n" << banner;
  EXPECT_NE(curl.find(socket()), std::string::npos) << curl;
  // -S: with the daemon stopped or another directory, curl says why instead of printing nothing.
  EXPECT_EQ(curl.rfind("-sS ", 0), 0u) << curl;

  // Run as printed; the answer is a signature of "hello" (the example's data) by demo.
  const std::string answer = shell_output("curl " + curl);
  const auto json = nlohmann::json::parse(answer, nullptr, /*allow_exceptions=*/false);
  ASSERT_TRUE(json.is_object() && json.contains("signature")) << "curl " << curl << "\n" << answer;
  EXPECT_EQ(json["key"], "demo");
  const auto signature = base64_decode(json["signature"].get<std::string>());
  ASSERT_TRUE(signature.has_value());
  SignRequest req;
  req.alg = SignAlg::kRsaPkcs1Sha256;
  EXPECT_TRUE(verify_signature(demo_spki(socket()), req, as_bytes("hello"), *signature));
  EXPECT_EQ(daemon_.stop(), kExitOk);
}

TEST_F(DevModeProcessTest, PinFilesAreOwnerOnly) {
  start();
  EXPECT_EQ(mode_of(dev_dir() + "/pin"), 0600u);
  EXPECT_EQ(mode_of(dev_dir() + "/so-pin"), 0600u);
  EXPECT_EQ(mode_of(dev_dir()), 0700u);
  EXPECT_EQ(read_all(dev_dir() + "/pin").size(), 25u) << "24 hex digits and a newline";
}

TEST_F(DevModeProcessTest, DemoIsAnRsa2048Key) {
  start();
  EXPECT_EQ(demo_entry(socket())["bits"], 2048);
  const Bytes spki = demo_spki(socket());
  const unsigned char* p = spki.data();
  p11signd::EvpPkeyPtr key(d2i_PUBKEY(nullptr, &p, static_cast<long>(spki.size())));
  ASSERT_TRUE(key) << "the served SPKI does not parse";
  EXPECT_EQ(EVP_PKEY_get_base_id(key.get()), EVP_PKEY_RSA);
  EXPECT_EQ(EVP_PKEY_get_bits(key.get()), 2048);
}

// demo-ec is an ECDSA P-256 key for raw, jws and httpsig; its signature, DER as OpenSSL reads it,
// verifies with `openssl pkeyutl` against the public key the daemon publishes.
TEST_F(DevModeProcessTest, DemoEcIsAP256KeyWhoseSignaturesOpensslVerifies) {
  start();
  Client c(socket());
  auto pem = c.get("/v1/keys/demo-ec/public-key");
  ASSERT_EQ(pem.result_int(), 200u) << pem.body();
  auto res = c.post("/v1/keys/demo-ec/sign", R"({"format":"der","data":"aGVsbG8="})");
  ASSERT_EQ(res.result_int(), 200u) << res.body();
  EXPECT_EQ(body_json(res)["alg"], "ECDSA-SHA256");
  const Bytes sig = *base64_decode(body_json(res)["signature"].get<std::string>());
  std::ofstream(dir_.file("demo-ec.pem")) << pem.body();
  std::ofstream(dir_.file("msg")) << "hello";
  std::ofstream(dir_.file("sig"), std::ios::binary) << as_chars(sig);
  EXPECT_EQ(std::system(("openssl pkeyutl -verify -pubin -inkey " + dir_.file("demo-ec.pem") +
                         " -rawin -digest sha256 -in " + dir_.file("msg") + " -sigfile " +
                         dir_.file("sig") + " >&2")
                            .c_str()),
            0);
  auto keys = body_json(c.get("/v1/keys"));
  bool found = false;
  for (const auto& k : keys["keys"]) {
    if (k["name"] != "demo-ec") continue;
    found = true;
    EXPECT_EQ(k["type"], "EC P-256");
    const auto schemes = k["schemes"].get<std::set<std::string>>();
    EXPECT_EQ(schemes, (std::set<std::string>{"raw", "jws", "httpsig"}));
  }
  EXPECT_TRUE(found) << keys.dump();
}

// The second start finds the token by its label and the key by its label: the same key (same
// public key fingerprint), the same token directory, the same PIN; nothing is made anew.
TEST_F(DevModeProcessTest, SecondStartReusesTheTokenAndTheKey) {
  start();
  const auto first = demo_entry(socket());
  const auto tokens = token_dirs(dev_dir());
  const std::string pin = read_all(dev_dir() + "/pin");
  ASSERT_EQ(tokens.size(), 1u);
  ASSERT_EQ(daemon_.stop(), kExitOk);

  start();
  const auto second = demo_entry(socket());
  EXPECT_EQ(second["fingerprint_sha256"], first["fingerprint_sha256"]);
  EXPECT_EQ(second["id"], first["id"]);
  EXPECT_EQ(token_dirs(dev_dir()), tokens);
  EXPECT_EQ(read_all(dev_dir() + "/pin"), pin);
  EXPECT_EQ(daemon_.stop(), kExitOk);
}

// A dev directory moved elsewhere keeps working there: its token, key and PIN, and the socket, PIN
// file and audit log inside the new place (the banner names that socket), not the old paths.
TEST_F(DevModeProcessTest, AMovedDirectoryServesFromItsNewPlace) {
  start();
  const auto before = demo_entry(socket());
  ASSERT_EQ(daemon_.stop(), kExitOk);
  const std::string moved = dir_.file("moved");
  fs::rename(dev_dir(), moved);

  start({P11SIGND_BINARY, "--dev", "--dev-dir", moved}, moved + "/p11signd.sock");
  EXPECT_EQ(demo_entry(moved + "/p11signd.sock")["fingerprint_sha256"],
            before["fingerprint_sha256"]);
  const std::string log = read_all(log_path());
  EXPECT_EQ(line_after(log, "  socket:    "), moved + "/p11signd.sock") << log;
  EXPECT_NE(log.find("was written for " + dev_dir()), std::string::npos) << log;
  const std::string conf = read_all(moved + "/p11signd.conf");
  EXPECT_EQ(conf.find(dev_dir() + "/"), std::string::npos) << conf;
  EXPECT_FALSE(fs::exists(dev_dir())) << "something was written at the old place";
  EXPECT_EQ(daemon_.stop(), kExitOk);
}

// Without --dev-dir the directory is .p11signd-dev in the working directory (the shell's cd; exec
// keeps the pid, so the test stops p11signd itself).
TEST_F(DevModeProcessTest, DefaultDirectoryIsDotP11signdDevInTheWorkingDirectory) {
  const std::string expected = dir_.file(".p11signd-dev");
  start({"/bin/sh", "-c", "cd '" + dir_.path() + "' && exec '" P11SIGND_BINARY "' --dev"},
        expected + "/p11signd.sock");
  EXPECT_EQ(line_after(read_all(log_path()), "  directory: "), expected);
  EXPECT_TRUE(fs::exists(expected + "/pin"));
  EXPECT_FALSE(fs::exists(dev_dir()));
  EXPECT_EQ(daemon_.stop(), kExitOk);
}

}  // namespace
}  // namespace p11signd::daemon
