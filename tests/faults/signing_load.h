#pragma once
// Sixteen (or n) clients signing as fast as they can over the daemon's socket, each answer kept
// with its timing and checked: a 200 must carry a signature that verifies with the key's public
// key.

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/bytes.h"
#include "common/sign_alg.h"

namespace p11signd::testing {

using Clock = std::chrono::steady_clock;

struct Answer {
  Clock::time_point sent, received;
  unsigned status = 0;     // 0: the connection broke
  std::string error_code;  // of a non-200 JSON error body
  bool verified = false;   // a 200 whose signature verifies
};

class SigningLoad {
 public:
  // request: what every client asks for (RSA-SHA256 by default); its signatures are checked with
  // it.
  SigningLoad(std::string socket, std::string key, Bytes spki_der, SignRequest request = {});
  ~SigningLoad();
  void start(int clients);
  // Stops the clients and returns every answer they got.
  std::vector<Answer> stop();

 private:
  void client(int index);

  std::string socket_, key_;
  Bytes spki_der_;
  SignRequest request_;
  std::atomic<bool> running_{false};
  std::mutex mu_;
  std::vector<Answer> answers_;
  std::vector<std::thread> threads_;
};

}  // namespace p11signd::testing
