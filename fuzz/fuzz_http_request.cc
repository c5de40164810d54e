// The HTTP request path up to and through the router, without a socket: the bytes a client could
// send are fed to the same Beast parser (same header and body limits) the Connection uses, and a
// parsed request goes to the Api over a FakeKeyStore, a one-worker pool and every scheme. The
// answer must be a well-formed response, and never a 500: bad input is the client's problem and
// must be named as such (400/404/405/413/422...), an internal error means a bug.

#include <boost/asio/io_context.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "daemon/config/config.h"
#include "daemon/routes/api.h"
#include "daemon/testing/fake_keystore.h"
#include "daemon/testing/test_support.h"
#include "fuzz/fuzz_settings.h"

namespace p11signd::fuzz {
namespace {

using namespace p11signd::daemon;

std::string config_text() {
  std::ostringstream ini;
  ini << "[daemon]\nsocket = /nonexistent/fuzz.sock\naudit-log = /dev/null\nworkers = 1\n"
      << "[token]\nuri = pkcs11:token=fake-token\npin-file = /dev/null\n"
      << "[key.demo]\nlabel = demo\nallow-uids = 1000\n"
      << "schemes = raw, mypos, swifood, carat, jws, amazonpay, alipay, wechatpay, alipay-v3, "
         "cavage, ob-jws, client-assertion\n"
      << kSchemeSettingsIni << "carat.merchant-key-file = " << testdata("fuzz/carat-merchant-key")
      << "\ncavage.certificate = "
      << testdata("schemes/testdata/cavage/draft12-test-certificate.pem") << "\n"
      << "[key.other]\nlabel = other\nallow-uids = 0\nschemes = raw\n"
      << "[peer.mypos]\nscheme = mypos\ncertificate = "
      << testdata("schemes/testdata/mypos/mypos-test-certificate.pem") << "\n"
      << "[peer.swifood]\nscheme = swifood\npublic-key = "
      << testdata("schemes/testdata/swifood/public_key.pem") << "\n";
  return ini.str();
}

// One daemon's worth of services, built once per fuzzing process.
struct Harness {
  Harness() : pool(store, 1, 16), audit("/dev/null") {
    store.add_token_key("demo", daemon::testing::shared_key(0));
    store.add_token_key("other", daemon::testing::shared_key(1));
    ConfigResult loaded = parse_config_text(config_text());
    if (!loaded.ok()) die("config", loaded.problems.front());
    auto problems = check_with_store(loaded.config, store).problems;
    if (!problems.empty()) die("config", problems.front());
    Services services{store, pool, audit, metrics, io.get_executor(), std::chrono::seconds(5)};
    api = std::make_unique<Api>(services, loaded.config);
    peer.uid = 1000;
    peer.gid = 1000;
    peer.groups = {1000};
    peer.comm = "fuzz";
  }

  [[noreturn]] static void die(const std::string& what, const std::string& why) {
    std::fprintf(stderr, "fuzz harness %s: %s\n", what.c_str(), why.c_str());
    std::abort();
  }

  FakeKeyStore store;
  WorkerPool pool;
  AuditLog audit;
  Metrics metrics;
  boost::asio::io_context io;
  std::unique_ptr<Api> api;
  Peer peer;
};

// Feeds the bytes to the parser as the Connection's reads would; nullopt when the stream does not
// hold one whole, valid request (the Connection then answers 400/413/431 and closes).
std::optional<Request> parse(std::string_view bytes) {
  http::request_parser<http::string_body> parser;
  parser.header_limit(16 * 1024);  // as daemon/server/connection.cc
  parser.body_limit(65536);        // max-request-bytes' default
  parser.eager(true);
  boost::system::error_code ec;
  while (!bytes.empty() && !parser.is_done()) {
    const std::size_t used = parser.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
    if (ec == http::error::need_more && used == 0) break;
    if (ec && ec != http::error::need_more) return std::nullopt;
    bytes.remove_prefix(used);
  }
  if (!parser.is_done()) {
    parser.put_eof(ec);
    if (ec || !parser.is_done()) return std::nullopt;
  }
  return parser.release();
}

void check_response(const Response& res) {
  if (res.result() == http::status::internal_server_error) {
    Harness::die("a request got 500", res.body());
  }
  // The answer must serialise (it goes to the socket next).
  std::ostringstream out;
  out << res;
  if (res.result_int() >= 400) {
    auto body = nlohmann::json::parse(res.body(), nullptr, false);
    if (body.is_discarded() || !body["error"]["code"].is_string() ||
        !body["error"]["message"].is_string()) {
      Harness::die("an error without the error shape", res.body());
    }
  }
}

}  // namespace
}  // namespace p11signd::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace p11signd::fuzz;
  static Harness* harness = new Harness();  // lives for the whole process, like the daemon
  auto req = parse(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!req) return 0;
  bool answered = false;
  harness->api->handle(*req, harness->peer, [&](p11signd::daemon::Response res) {
    check_response(res);
    answered = true;
  });
  // Until this request's answer is back, and no longer: run() would also wait for the deadline
  // timer, which stays armed after the answer (daemon/server/deadline_watch.h) - that is
  // request-timeout-ms of idling for every input that reaches the worker.
  if (harness->io.stopped()) harness->io.restart();
  while (!answered) {
    if (harness->io.run_one() == 0) Harness::die("no answer", std::string(req->target()));
  }
  return 0;
}
