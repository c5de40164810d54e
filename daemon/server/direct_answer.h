#pragma once
// The answer a worker sends on the connection's socket itself. Handing it back to the event loop
// costs a wake-up of that thread per signature - on a VM tens of microseconds of kernel time and
// one more hop of latency (docs/benchmarks-notes.md). So the worker writes the answer with a
// non-blocking send, and the event loop, which has meanwhile armed a wait for the client's next
// request, learns that the answer is out only when it needs to: when that request arrives, when
// it is draining, or when the idle deadline is checked. One mutex orders the two threads; the
// worker is told to wake the loop only when the loop is waiting for this answer.
//
// The event loop owns the socket: it closes it only through close(), after which send() does
// nothing, so a worker never writes to a descriptor number that was closed and handed out again.
// An answer that does not fit the socket's buffer at once is passed back for the loop to write
// under its write deadline.

#include <chrono>
#include <mutex>
#include <optional>
#include <string>

#include "daemon/server/http.h"

namespace p11signd::daemon {

class DirectAnswer {
 public:
  using Clock = std::chrono::steady_clock;
  // What the worker must ask of the event loop after send().
  enum class Next {
    kNothing,    // the answer is out; the loop finds out when it next looks
    kContinue,   // the answer is out and the loop waits for it: go on with the connection
    kWriteRest,  // `rest` could not be sent now: the loop writes it
    kClose,      // the client is gone (or the answer ends the connection): close
  };
  struct Sent {
    Next next = Next::kNothing;
    std::string rest;
    bool close_after = false;
  };

  explicit DirectAnswer(int fd) : fd_(fd) {}

  // Event loop, before a request goes to the Api: one answer is now owed.
  void expect(bool keep_alive, unsigned version);
  // Any thread (a worker): sends res as the owed answer.
  Sent send(Response& res);
  // Event loop: it wants to go on with the connection. True when the answer is already out;
  // otherwise send() (or answered_by_loop()) will say so.
  bool loop_waits();
  // Event loop, once it wrote an owed answer itself: true when it had asked to go on at once.
  bool answered_by_loop();
  // Event loop: the owed answer must close the connection. True when none is owed (close now).
  bool drain();
  // Event loop: how long the connection has been without an owed answer; nullopt while one is.
  std::optional<Clock::duration> idle_for() const;
  // Event loop, before the socket is closed: send() does nothing from now on.
  void close();

 private:
  mutable std::mutex mu_;
  const int fd_;
  bool open_ = true;
  bool owed_ = false;
  bool loop_waiting_ = false;
  bool draining_ = false;
  bool keep_alive_ = true;
  unsigned version_ = 11;
  Clock::time_point answered_at_ = Clock::now();
};

// The bytes Beast would write for res (status line, headers, body).
std::string serialize(Response& res);

}  // namespace p11signd::daemon
