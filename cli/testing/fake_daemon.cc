#include "cli/testing/fake_daemon.h"

#include <gtest/gtest.h>

#include <sys/socket.h>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace p11signd::cli::testing {
namespace {

namespace http = boost::beast::http;
using boost::asio::local::stream_protocol;

std::string make_temp_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "p11sign-test-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  return pattern;
}

}  // namespace

FakeDaemon::FakeDaemon()
    : dir_(make_temp_dir()),
      socket_path_(dir_ + "/p11signd.sock"),
      acceptor_(io_, stream_protocol::endpoint(socket_path_)),
      handler_([](const RecordedRequest&) { return CannedResponse{}; }) {
  acceptor_thread_ = std::thread([this] { accept_loop(); });
}

FakeDaemon::~FakeDaemon() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    // Unblocks connection threads still reading from a client that has not hung up.
    for (const auto& s : connections_) ::shutdown(s->native_handle(), SHUT_RDWR);
  }
  try {  // wakes the blocking accept()
    stream_protocol::socket waker(io_);
    waker.connect(stream_protocol::endpoint(socket_path_));
  } catch (const std::exception&) {
  }
  acceptor_thread_.join();
  for (std::thread& t : connection_threads_) t.join();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

void FakeDaemon::respond(CannedResponse response) {
  respond_with([response](const RecordedRequest&) { return response; });
}

void FakeDaemon::respond_with(std::function<CannedResponse(const RecordedRequest&)> handler) {
  std::lock_guard lock(mutex_);
  handler_ = std::move(handler);
}

std::vector<RecordedRequest> FakeDaemon::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

RecordedRequest FakeDaemon::only_request() const {
  const auto all = requests();
  EXPECT_EQ(all.size(), 1u) << "requests the daemon received";
  return all.empty() ? RecordedRequest{} : all.front();
}

void FakeDaemon::accept_loop() {
  while (true) {
    auto socket = std::make_shared<Socket>(io_);
    boost::system::error_code ec;
    acceptor_.accept(*socket, ec);
    std::lock_guard lock(mutex_);
    if (stopping_ || ec) return;
    connections_.push_back(socket);
    connection_threads_.emplace_back([this, socket] { serve(socket); });
  }
}

CannedResponse FakeDaemon::answer(const RecordedRequest& request) {
  std::lock_guard lock(mutex_);
  requests_.push_back(request);
  return handler_(request);
}

void FakeDaemon::serve(std::shared_ptr<Socket> socket) {
  boost::beast::flat_buffer buffer;
  while (true) {
    http::request<http::string_body> req;
    boost::system::error_code ec;
    http::read(*socket, buffer, req, ec);
    if (ec) return;
    const CannedResponse canned =
        answer({std::string(req.method_string()), std::string(req.target()),
                std::string(req[http::field::content_type]), req.body()});
    std::this_thread::sleep_for(canned.delay);
    http::response<http::string_body> res{static_cast<http::status>(canned.status), 11};
    res.set(http::field::content_type, canned.content_type);
    res.body() = canned.body;
    res.keep_alive(!canned.close && req.keep_alive());
    res.prepare_payload();
    http::write(*socket, res, ec);
    if (ec || !res.keep_alive()) {
      socket->shutdown(stream_protocol::socket::shutdown_both, ec);
      return;
    }
  }
}

}  // namespace p11signd::cli::testing
