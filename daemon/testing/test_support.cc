#include "daemon/testing/test_support.h"

#include <openssl/pem.h>
#include <unistd.h>

#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <stdexcept>

#include "common/audit_chain.h"
#include "common/encoding.h"
#include "common/openssl_ptr.h"
#include "common/testing/software_sign.h"
#include "daemon/routes/routes_schemes.h"

namespace p11signd::daemon::testing {

// Test keys live in daemon/testing/testdata (made once with `openssl genpkey`): generating RSA keys
// in every test process would dominate the suite's run time.
SharedEvpPkey shared_key(int index) {
  static std::mutex mu;
  static std::map<int, SharedEvpPkey> keys;
  std::lock_guard lock(mu);
  auto& key = keys[index];
  if (!key) {
    const std::string path =
        std::string(P11SIGND_DAEMON_TESTDATA) + "/test_key_" + std::to_string(index) + ".pem";
    BioPtr bio(BIO_new_file(path.c_str(), "r"));
    EVP_PKEY* pkey = bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr;
    key = pkey ? SharedEvpPkey(pkey, EVP_PKEY_free) : generate_rsa(2048);
  }
  return key;
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "p11signd-test-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
  // Traversable, so that a test client running as another uid can reach the socket.
  std::filesystem::permissions(path_, std::filesystem::perms(0755));
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

TestDaemon::TestDaemon(Options options, std::unique_ptr<KeyStore> store)
    : socket_(dir_.file("p11signd.sock")) {
  write_config(options.sections, options.daemon_extra);
  ConfigResult loaded = load_config(config_path());
  if (!loaded.ok()) throw std::runtime_error("test config: " + loaded.problems.front());
  if (!store) {
    auto fake = std::make_unique<FakeKeyStore>("fake-token", options.max_sessions);
    fake->add_token_key("demo", shared_key(0));
    fake->add_token_key("restricted", shared_key(1));
    fake->add_token_key("second", shared_key(2));
    fake->add_token_key("ec-p256", ::p11signd::testing::generate_software_key(KeyType::kEcP256));
    fake->add_token_key("ed25519", ::p11signd::testing::generate_software_key(KeyType::kEd25519));
    fake_ = fake.get();
    store = std::move(fake);
  }
  auto problems = options.check_key_types ? check_with_store(loaded.config, *store).problems
                                          : make_scheme_routes()->check(loaded.config).problems;
  if (!options.check_key_types) store->set_keys(loaded.config.key_specs());
  if (!problems.empty()) throw std::runtime_error("test keys: " + problems.front());
  DaemonOptions daemon_options;
  daemon_options.handle_signals = options.signals;
  daemon_options.socket_activation = false;
  daemon_ = std::make_unique<Daemon>(loaded.config, std::move(store), daemon_options);
  thread_ = std::thread([this] { exit_code_ = daemon_->run(); });
  if (!daemon_->wait_until_listening(std::chrono::seconds(10))) {
    throw std::runtime_error("test daemon did not start");
  }
}

void TestDaemon::write_config(const std::string& sections, const std::string& daemon_extra) {
  std::ofstream out(config_path(), std::ios::trunc);
  out << "[daemon]\nsocket = " << socket_ << "\nsocket-mode = 0666\naudit-log = " << audit_path()
      << "\nworkers = 2\n"
      << daemon_extra << "\n[token]\nuri = pkcs11:token=fake-token\npin-file = /dev/null\n"
      << sections;
}

std::vector<nlohmann::json> TestDaemon::audit_records() const {
  std::ifstream in(audit_path());
  std::vector<nlohmann::json> records;
  for (std::string line; std::getline(in, line);) {
    auto record = nlohmann::json::parse(line);
    if (record["op"] != audit::kCheckpointOp) records.push_back(std::move(record));
  }
  return records;
}

int TestDaemon::stop() {
  if (!stopped_) {
    stopped_ = true;
    daemon_->request_stop();
    thread_.join();
  }
  return exit_code_;
}

int TestDaemon::wait_for_exit() {
  if (!stopped_) {
    stopped_ = true;
    thread_.join();
  }
  return exit_code_;
}

TestDaemon::~TestDaemon() { stop(); }

Client::Client(const std::string& socket) : socket_(io_) {
  socket_.connect(boost::asio::local::stream_protocol::endpoint(socket));
}

Response Client::request(http::verb method, const std::string& target, const std::string& body) {
  Request req{method, target, 11};
  req.set(http::field::host, "localhost");
  if (!body.empty() || method == http::verb::post) {
    req.set(http::field::content_type, "application/json");
    req.body() = body;
  }
  req.prepare_payload();
  http::write(socket_, req);
  return read_response();
}

void Client::send_raw(const std::string& bytes) {
  boost::asio::write(socket_, boost::asio::buffer(bytes));
}

void Client::finish_sending() {
  socket_.shutdown(boost::asio::local::stream_protocol::socket::shutdown_send);
}

Response Client::read_response() {
  http::response_parser<http::string_body> parser;
  parser.body_limit(16 << 20);
  http::read(socket_, buffer_, parser);
  return parser.release();
}

bool Client::closed_by_peer() {
  char c;
  boost::system::error_code ec;
  socket_.read_some(boost::asio::buffer(&c, 1), ec);
  return ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset;
}

bool health_answers(const std::string& socket, unsigned status) {
  try {
    Client c(socket);
    const unsigned got = c.get("/v1/health").result_int();
    return status == 0 || got == status;
  } catch (const std::exception&) {
    return false;
  }
}

nlohmann::json body_json(const Response& res) { return nlohmann::json::parse(res.body()); }

std::string error_code_of(const Response& res) {
  auto j = nlohmann::json::parse(res.body(), nullptr, false);
  if (j.is_discarded() || !j.contains("error")) return "(not an error body: " + res.body() + ")";
  return j["error"]["code"].get<std::string>();
}

std::string sign_body(const std::string& data, const std::string& alg) {
  return nlohmann::json{{"alg", alg}, {"data", base64_encode(as_bytes(data))}}.dump();
}

}  // namespace p11signd::daemon::testing
