#pragma once
// Polling briefly before sleeping. A request wakes a sleeping thread up to four times on its way
// (client -> event loop -> worker -> event loop -> client), and on a VM waking an idle vCPU costs
// tens of microseconds (docs/benchmarks.md, "Where the time goes"). A worker that just finished a
// signature therefore polls the queue for spin-us before it sleeps, yielding the CPU to any thread
// that can run meanwhile: at one or two connections the next request usually arrives within that
// time. Under load the queue is never empty and nobody spins; an idle daemon sleeps spin-us after
// its last request. (The event loop does not spin: measured, it took CPU from the signing workers
// at 2-4 connections.)

#include <sched.h>

#include <chrono>

namespace p11signd::daemon {

// Polls ready() until it returns true or `spin` has passed, yielding between polls. The last poll's
// result: true when there is something to do.
template <typename Ready>
bool spin_until(Ready&& ready, std::chrono::microseconds spin) {
  if (ready()) return true;
  if (spin.count() == 0) return false;
  const auto until = std::chrono::steady_clock::now() + spin;
  while (std::chrono::steady_clock::now() < until) {
    ::sched_yield();
    if (ready()) return true;
  }
  return false;
}

}  // namespace p11signd::daemon
