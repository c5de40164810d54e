#include "tests/faults/signing_load.h"

#include "common/encoding.h"
#include "common/public_key.h"
#include "daemon/testing/test_support.h"

namespace p11signd::testing {

using daemon::testing::Client;

SigningLoad::SigningLoad(std::string socket, std::string key, Bytes spki_der, SignRequest request)
    : socket_(std::move(socket)),
      key_(std::move(key)),
      spki_der_(std::move(spki_der)),
      request_(request) {}

SigningLoad::~SigningLoad() { stop(); }

void SigningLoad::start(int clients) {
  running_ = true;
  for (int i = 0; i < clients; ++i) threads_.emplace_back([this, i] { client(i); });
}

std::vector<Answer> SigningLoad::stop() {
  running_ = false;
  for (auto& t : threads_) t.join();
  threads_.clear();
  std::lock_guard lock(mu_);
  return answers_;
}

void SigningLoad::client(int index) {
  std::vector<Answer> mine;
  std::unique_ptr<Client> c;
  for (long n = 0; running_; ++n) {
    // Every message differs, so a signature of another request can never pass as this one's.
    const std::string data = "client " + std::to_string(index) + " message " + std::to_string(n);
    Answer a;
    a.sent = Clock::now();
    try {
      if (!c) c = std::make_unique<Client>(socket_);
      const auto res =
          c->post("/v1/keys/" + key_ + "/sign",
                  daemon::testing::sign_body(data, std::string(to_string(request_.alg))));
      a.received = Clock::now();
      a.status = res.result_int();
      if (a.status == 200) {
        const auto body = daemon::testing::body_json(res);
        const auto sig = base64_decode(body["signature"].get<std::string>());
        // An ECDSA answer says how its signature is written (DER unless asked otherwise).
        SignRequest check = request_;
        if (body.value("format", "") == "der") check.ecdsa_encoding = EcdsaEncoding::kDer;
        a.verified = sig && verify_signature(spki_der_, check, as_bytes(data), *sig);
      } else {
        a.error_code = daemon::testing::error_code_of(res);
      }
    } catch (const std::exception& e) {
      a.received = Clock::now();
      a.error_code = e.what();
      c.reset();
    }
    mine.push_back(std::move(a));
  }
  std::lock_guard lock(mu_);
  answers_.insert(answers_.end(), mine.begin(), mine.end());
}

}  // namespace p11signd::testing
