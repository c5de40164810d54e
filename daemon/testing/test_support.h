#pragma once
// Test harness: a Daemon over a FakeKeyStore on a temporary socket, run in process on its own
// thread, and a small blocking HTTP client for the socket. Used by the daemon's server tests only.

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "daemon/lifecycle/daemon.h"
#include "daemon/testing/fake_keystore.h"

namespace p11signd::daemon::testing {

// RSA keys are slow to make (above all under ASan): a few are made once per test process and
// shared.
SharedEvpPkey shared_key(int index);

class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A running daemon. `extra` is appended to the [daemon] section; `keys` are whole sections.
class TestDaemon {
 public:
  struct Options {
    std::string daemon_extra;
    std::string sections =
        "[key.demo]\nlabel = demo\nallow-uids = 0\nschemes = raw\n"
        "[key.restricted]\nlabel = restricted\nallow-uids = 0\nschemes = jws\n";
    unsigned max_sessions = 4;
    bool signals = false;  // let the daemon handle SIGTERM/SIGHUP itself
    // false: start with keys of a type a scheme they list cannot use, which a start refuses, to
    // reach the request-time refusal behind that check.
    bool check_key_types = true;
  };

  TestDaemon() : TestDaemon(Options{}) {}
  // store: the KeyStore to serve; nullptr builds a FakeKeyStore holding the RSA keys labelled demo,
  // restricted, second, and the EC P-256 and Ed25519 keys labelled ec-p256 and ed25519.
  explicit TestDaemon(Options options, std::unique_ptr<KeyStore> store = nullptr);
  ~TestDaemon();

  // Only for the default fake store.
  FakeKeyStore& store() { return *fake_; }
  Daemon& daemon() { return *daemon_; }
  const std::string& socket() const { return socket_; }
  std::string config_path() const { return dir_.file("p11signd.conf"); }
  std::string audit_path() const { return dir_.file("audit.log"); }
  // The audit log's records so far, one JSON object per line; checkpoints (written at stop, among
  // others) are left out.
  std::vector<nlohmann::json> audit_records() const;
  void write_config(const std::string& sections, const std::string& daemon_extra = "");
  // Stops the daemon and returns run()'s exit code.
  int stop();
  // Waits for run() to return by itself (after a signal) and returns its exit code.
  int wait_for_exit();

 private:
  TempDir dir_;
  std::string socket_;
  FakeKeyStore* fake_ = nullptr;
  std::unique_ptr<Daemon> daemon_;
  std::thread thread_;
  int exit_code_ = -1;
  bool stopped_ = false;
};

class Client {
 public:
  explicit Client(const std::string& socket);
  Response request(http::verb method, const std::string& target, const std::string& body = "");
  Response get(const std::string& target) { return request(http::verb::get, target); }
  Response post(const std::string& target, const std::string& body) {
    return request(http::verb::post, target, body);
  }
  void send_raw(const std::string& bytes);
  // Half-closes the connection: the daemon reads end-of-file after what was sent.
  void finish_sending();
  // Reads one response; throws boost::system::system_error when the daemon closed the connection.
  Response read_response();
  // True when the daemon closed the connection (EOF on read).
  bool closed_by_peer();

 private:
  boost::asio::io_context io_;
  boost::asio::local::stream_protocol::socket socket_;
  boost::beast::flat_buffer buffer_;
};

nlohmann::json body_json(const Response& res);
// True when GET /v1/health on socket gets an answer: any answer, or only `status` when given. For
// waiting on a daemon started as a process.
bool health_answers(const std::string& socket, unsigned status = 0);
std::string error_code_of(const Response& res);
// {"alg":alg,"data":base64(data)}
std::string sign_body(const std::string& data, const std::string& alg = "RSA-SHA256");

}  // namespace p11signd::daemon::testing
