#include "daemon/server/direct_answer.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <sstream>

namespace p11signd::daemon {
namespace {

using Next = DirectAnswer::Next;

// A connected pair: the daemon's end (non-blocking, as Asio leaves it) and the client's.
struct SocketPair {
  SocketPair() {
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    ::fcntl(fds[0], F_SETFL, ::fcntl(fds[0], F_GETFL) | O_NONBLOCK);
    ::fcntl(fds[1], F_SETFL, ::fcntl(fds[1], F_GETFL) | O_NONBLOCK);
  }
  ~SocketPair() {
    for (int fd : fds) {
      if (fd >= 0) ::close(fd);
    }
  }
  int daemon() const { return fds[0]; }
  // Everything the client end has received so far.
  std::string received() const {
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fds[1], buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
    return out;
  }
  void close_client() {
    ::close(fds[1]);
    fds[1] = -1;
  }
  int fds[2] = {-1, -1};
};

Response answer(const std::string& body = R"({"signature":"c2ln"})") {
  Response res{http::status::ok, 11};
  res.set(http::field::content_type, "application/json");
  res.body() = body;
  res.prepare_payload();
  return res;
}

std::string as_beast_writes(Response res) {
  std::ostringstream out;
  out << res;
  return out.str();
}

TEST(DirectAnswer, SerializeGivesTheBytesBeastWrites) {
  Response res = answer(std::string(5000, 'x'));
  EXPECT_EQ(serialize(res), as_beast_writes(res));
}

TEST(DirectAnswer, SendsTheOwedAnswerAndLeavesTheLoopAloneUnlessItWaits) {
  SocketPair s;
  DirectAnswer direct(s.daemon());
  direct.expect(/*keep_alive=*/true, 11);
  EXPECT_FALSE(direct.idle_for().has_value());
  Response res = answer();
  const auto sent = direct.send(res);
  EXPECT_EQ(sent.next, Next::kNothing);
  EXPECT_FALSE(sent.close_after);
  const std::string got = s.received();
  EXPECT_EQ(got, as_beast_writes(res));
  EXPECT_EQ(got.find("Connection: close"), std::string::npos);
  EXPECT_TRUE(direct.idle_for().has_value());
  EXPECT_TRUE(direct.loop_waits());  // already out: go on at once
}

TEST(DirectAnswer, ALoopThatWaitsIsToldToContinue) {
  SocketPair s;
  DirectAnswer direct(s.daemon());
  direct.expect(true, 11);
  EXPECT_FALSE(direct.loop_waits());
  Response res = answer();
  EXPECT_EQ(direct.send(res).next, Next::kContinue);
}

TEST(DirectAnswer, OnlyTheOwedAnswerIsSent) {
  SocketPair s;
  DirectAnswer direct(s.daemon());
  Response res = answer();
  EXPECT_EQ(direct.send(res).next, Next::kNothing);  // nothing expected yet
  direct.expect(true, 11);
  EXPECT_EQ(direct.send(res).next, Next::kNothing);
  EXPECT_EQ(direct.send(res).next, Next::kNothing);  // a second time: dropped
  EXPECT_EQ(s.received(), as_beast_writes(res));
}

TEST(DirectAnswer, AClientThatDidNotKeepAliveIsAnsweredWithCloseAsItAsked) {
  SocketPair s;
  DirectAnswer direct(s.daemon());
  direct.expect(/*keep_alive=*/false, 11);
  Response res = answer();
  const auto sent = direct.send(res);
  EXPECT_EQ(sent.next, Next::kClose);
  EXPECT_TRUE(sent.close_after);
  EXPECT_NE(s.received().find("Connection: close"), std::string::npos);
}

TEST(DirectAnswer, AnHttp10ClientGetsAnHttp10Answer) {
  SocketPair s;
  DirectAnswer direct(s.daemon());
  direct.expect(/*keep_alive=*/true, 10);
  Response res = answer();
  direct.send(res);
  EXPECT_EQ(s.received().rfind("HTTP/1.0 200", 0), 0u);
}

TEST(DirectAnswer, DrainingMakesTheOwedAnswerTheLast) {
  SocketPair s;
  DirectAnswer direct(s.daemon());
  direct.expect(true, 11);
  EXPECT_FALSE(direct.drain());  // owed: close after it
  Response res = answer();
  const auto sent = direct.send(res);
  EXPECT_EQ(sent.next, Next::kClose);
  EXPECT_NE(s.received().find("Connection: close"), std::string::npos);
  EXPECT_TRUE(direct.drain());  // nothing owed now
}

TEST(DirectAnswer, AfterCloseNothingIsWritten) {
  SocketPair s;
  DirectAnswer direct(s.daemon());
  direct.expect(true, 11);
  direct.close();
  Response res = answer();
  EXPECT_EQ(direct.send(res).next, Next::kNothing);
  EXPECT_EQ(s.received(), "");
}

TEST(DirectAnswer, AClientThatIsGoneMeansClose) {
  SocketPair s;
  DirectAnswer direct(s.daemon());
  direct.expect(true, 11);
  s.close_client();
  Response res = answer();
  EXPECT_EQ(direct.send(res).next, Next::kClose);
}

// A client that does not read: what does not fit is handed to the loop, byte-exact.
TEST(DirectAnswer, WhatDoesNotFitIsLeftForTheLoop) {
  SocketPair s;
  const int small = 4096;
  ::setsockopt(s.daemon(), SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  DirectAnswer direct(s.daemon());
  direct.expect(true, 11);
  Response res = answer(std::string(1 << 20, 'y'));
  const std::string all = as_beast_writes(res);
  const auto sent = direct.send(res);
  ASSERT_EQ(sent.next, Next::kWriteRest);
  ASSERT_FALSE(sent.rest.empty());
  EXPECT_FALSE(direct.idle_for().has_value());  // still owed until the loop wrote the rest
  EXPECT_EQ(s.received() + sent.rest, all);
  EXPECT_FALSE(direct.answered_by_loop());
  EXPECT_TRUE(direct.idle_for().has_value());
}

TEST(DirectAnswer, AFullSocketLeavesTheWholeAnswerForTheLoop) {
  SocketPair s;
  const char fill[4096] = {};
  while (::send(s.daemon(), fill, sizeof fill, MSG_DONTWAIT) > 0) {
  }
  DirectAnswer direct(s.daemon());
  direct.expect(true, 11);
  Response res = answer();
  const auto sent = direct.send(res);
  ASSERT_EQ(sent.next, Next::kWriteRest);
  EXPECT_EQ(sent.rest, as_beast_writes(res));
}

TEST(DirectAnswer, TheLoopAnsweringItselfTellsWhetherItWaited) {
  SocketPair s;
  DirectAnswer direct(s.daemon());
  direct.expect(true, 11);
  EXPECT_FALSE(direct.answered_by_loop());
  direct.expect(true, 11);
  EXPECT_FALSE(direct.loop_waits());
  EXPECT_TRUE(direct.answered_by_loop());
}

}  // namespace
}  // namespace p11signd::daemon
