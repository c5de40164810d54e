#include "daemon/server/direct_answer.h"

#include <sys/socket.h>

#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/http/serializer.hpp>
#include <cerrno>

namespace p11signd::daemon {

std::string serialize(Response& res) {
  std::string out;
  http::response_serializer<http::string_body> sr{res};
  boost::system::error_code ec;
  while (!sr.is_done() && !ec) {
    sr.next(ec, [&](boost::system::error_code&, const auto& buffers) {
      std::size_t n = 0;
      for (const auto b : boost::beast::buffers_range_ref(buffers)) {
        out.append(static_cast<const char*>(b.data()), b.size());
        n += b.size();
      }
      sr.consume(n);
    });
  }
  return out;
}

void DirectAnswer::expect(bool keep_alive, unsigned version) {
  std::lock_guard lock(mu_);
  owed_ = true;
  loop_waiting_ = false;
  keep_alive_ = keep_alive;
  version_ = version;
}

DirectAnswer::Sent DirectAnswer::send(Response& res) {
  Sent sent;
  std::lock_guard lock(mu_);  // held across the send: close() must not run in between
  if (!open_ || !owed_) return sent;
  sent.close_after = draining_ || !keep_alive_;
  frame_answer(res, version_, sent.close_after);
  std::string bytes = serialize(res);
  const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
    owed_ = false;  // the client is gone; nobody reads an answer now
    sent.next = Next::kClose;
    return sent;
  }
  const auto written = static_cast<std::size_t>(std::max<ssize_t>(n, 0));
  if (written < bytes.size()) {
    sent.rest = bytes.substr(written);  // still owed: the loop writes it and calls answered_by_loop
    sent.next = Next::kWriteRest;
    return sent;
  }
  owed_ = false;
  answered_at_ = Clock::now();
  if (sent.close_after) {
    sent.next = Next::kClose;
  } else if (loop_waiting_) {
    sent.next = Next::kContinue;
  }
  return sent;
}

bool DirectAnswer::loop_waits() {
  std::lock_guard lock(mu_);
  if (!owed_) return true;
  loop_waiting_ = true;
  return false;
}

bool DirectAnswer::answered_by_loop() {
  std::lock_guard lock(mu_);
  owed_ = false;
  answered_at_ = Clock::now();
  return loop_waiting_;
}

bool DirectAnswer::drain() {
  std::lock_guard lock(mu_);
  draining_ = true;
  loop_waiting_ = true;
  return !owed_;
}

std::optional<DirectAnswer::Clock::duration> DirectAnswer::idle_for() const {
  std::lock_guard lock(mu_);
  if (owed_) return std::nullopt;
  return Clock::now() - answered_at_;
}

void DirectAnswer::close() {
  std::lock_guard lock(mu_);
  open_ = false;
}

}  // namespace p11signd::daemon
