// Many threads, one session each: every signature verified; sessions pulled away and keys refreshed
// mid-run.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/testing/token_fixture.h"

namespace p11signd::testing {
namespace {

const SignRequest kPkcs1{SignAlg::kRsaPkcs1Sha256, 32};
const SignRequest kPss{SignAlg::kRsaPssSha256, 32};

class Concurrency : public TokenTest {
 protected:
  // Signs per_thread messages on each of `threads` threads, alternating PKCS#1 and PSS, verifying
  // every signature; runs during() on this thread while they work.
  void run(
      int threads, int per_thread, const std::function<void()>& during = [] {}) {
    std::vector<std::thread> workers;
    for (int w = 0; w < threads; ++w) {
      workers.emplace_back([this, w, per_thread] {
        pkcs11::Signer signer(*token_);
        for (int i = 0; i < per_thread; ++i) sign_one(signer, w, i);
      });
    }
    during();
    for (auto& w : workers) w.join();
  }

  void sign_one(pkcs11::Signer& signer, int w, int i) {
    const std::string msg = "thread " + std::to_string(w) + " message " + std::to_string(i);
    const auto& req = (i % 2) ? kPss : kPkcs1;
    try {
      Bytes sig;
      {
        // glibc's rwlock prefers readers: without this the closer could wait for its exclusive
        // lock until every signature is done, and the sessions would close after the run.
        while (close_pending_.load()) std::this_thread::yield();
        std::shared_lock no_close_during_a_call(close_mutex_);
        sig = signer.sign("k", req, as_bytes(msg));
      }
      if (verifies("k", req, as_bytes(msg), sig)) {
        ++ok_;
      } else {
        ++bad_;
      }
    } catch (const std::exception& e) {
      ++errors_;
      std::lock_guard lock(mutex_);
      if (first_error_.empty()) first_error_ = e.what();
    }
  }

  // SoftHSM frees a session's state in C_CloseAllSessions even while another thread is inside
  // C_Sign on it (a crash in SoftHSM, not a PKCS#11 error), so the test closes the sessions between
  // two signatures of every thread, never during one. All eight sessions, the login session and
  // every key handle still die underneath the layer, and all eight threads meet the failure at
  // once.
  std::shared_mutex close_mutex_;
  std::atomic<bool> close_pending_{false};
  std::atomic<int> ok_{0}, bad_{0}, errors_{0};
  std::mutex mutex_;
  std::string first_error_;
};

TEST_F(Concurrency, EightThreadsFiveHundredSignaturesEach) {
  generate("k");
  run(8, 500);
  EXPECT_EQ(ok_.load(), 8 * 500) << first_error_;
  EXPECT_EQ(bad_.load(), 0);
  EXPECT_EQ(errors_.load(), 0) << first_error_;
}

TEST_F(Concurrency, AllSessionsClosedUnderneathMidRun) {
  generate("k");
  run(8, 200, [this] {
    for (int round = 0; round < 5; ++round) {
      // Bounded wait: if signing stalls the assertions below report it instead of hanging.
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
      while (ok_.load() + errors_.load() < 150 * (round + 1) &&
             std::chrono::steady_clock::now() < deadline) {
        std::this_thread::yield();
      }
      close_pending_ = true;
      std::unique_lock between_calls(close_mutex_);
      token_->module().call<&CK_FUNCTION_LIST::C_CloseAllSessions>(token_->slot());
      close_pending_ = false;
    }
  });
  EXPECT_EQ(ok_.load(), 8 * 200) << first_error_;
  EXPECT_EQ(errors_.load(), 0) << first_error_;
  EXPECT_GE(token_->recoveries(), 1u);
}

TEST_F(Concurrency, KeysRefreshedWhileSigning) {
  generate("k");
  generate("other");
  constexpr int kSignatures = 4 * 200;
  int refreshed_meanwhile = 0;
  run(4, 200, [&] {
    const auto specs = token_->keys().specs();
    const auto done = [this] { return ok_.load() + bad_.load() + errors_.load(); };
    // Bounded waits: if signing stalls the assertions below report it instead of hanging.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    // From the first signature to the last: each refresh counted began after one and ended
    // before the other.
    while (done() == 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
    while (done() < kSignatures && std::chrono::steady_clock::now() < deadline) {
      token_->replace_keys(specs);
      if (done() < kSignatures) ++refreshed_meanwhile;
    }
  });
  EXPECT_GE(refreshed_meanwhile, 1) << "no refresh overlapped the signing";
  EXPECT_EQ(ok_.load(), kSignatures) << first_error_;
  EXPECT_EQ(bad_.load(), 0);
  EXPECT_EQ(errors_.load(), 0) << first_error_;
}

}  // namespace
}  // namespace p11signd::testing
