// Recovery: every category of failure the token can report is repaired, and signing goes on.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <optional>
#include <thread>

#include "tests/testing/token_fixture.h"

namespace p11signd::testing {
namespace {

using pkcs11::Error;
using pkcs11::ErrorCategory;

const SignRequest kPkcs1{SignAlg::kRsaPkcs1Sha256, 32};

void inject(CK_RV rv, int times = 1) {
  faults::sign_rv = rv;
  faults::sign_times = times;
}

class Recovery : public TokenTest {
 protected:
  void SetUp() override {
    TokenTest::SetUp();
    generate("k");
    signer_ = std::make_unique<pkcs11::Signer>(*token_);
    ASSERT_TRUE(sign_ok());
  }
  void TearDown() override {
    signer_.reset();
    TokenTest::TearDown();
  }
  bool sign_ok() {
    const auto data = as_bytes("recover me");
    return verifies("k", kPkcs1, data, signer_->sign("k", kPkcs1, data));
  }
  std::unique_ptr<pkcs11::Signer> signer_;
};

TEST_F(Recovery, LostSessionIsReplaced) {
  inject(CKR_SESSION_HANDLE_INVALID);
  EXPECT_TRUE(sign_ok());
  EXPECT_EQ(token_->recoveries(), 1u);
}

TEST_F(Recovery, NotLoggedInLogsInAgainOnce) {
  const int logins = faults::login_calls.load();
  inject(CKR_USER_NOT_LOGGED_IN);
  EXPECT_TRUE(sign_ok());
  EXPECT_EQ(faults::login_calls.load(), logins + 1);
}

TEST_F(Recovery, PersistentNotLoggedInFailsAfterOneRetry) {
  const int logins = faults::login_calls.load();
  inject(CKR_USER_NOT_LOGGED_IN, 2);
  try {
    sign_ok();
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.rv(), CKR_USER_NOT_LOGGED_IN);
  }
  EXPECT_EQ(faults::login_calls.load(), logins + 1) << "re-login happens once per request";
  EXPECT_TRUE(sign_ok());
}

TEST_F(Recovery, StaleHandlesAreResolvedAgain) {
  inject(CKR_KEY_HANDLE_INVALID);
  EXPECT_TRUE(sign_ok());
  EXPECT_EQ(token_->recoveries(), 1u);
}

TEST_F(Recovery, DeviceErrorReinitialisesTheModuleAndFailsFastMeanwhile) {
  // Re-initialising cannot finish while the re-login fails (a device error, so it is retried,
  // unlike a refused PIN): the token stays down until the test lets the login through.
  faults::login_rv = CKR_DEVICE_ERROR;
  faults::login_times = 1000000;
  // Signs on another thread. A request that waited for the token to be ready would wait for ever
  // here: after 10 s the test lets the login through (so nothing hangs) and fails.
  const auto sign_while_down = [&]() -> std::optional<Error> {
    auto request = std::async(std::launch::async, [&] { return sign_ok(); });
    if (request.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
      faults::login_times = 0;
      ADD_FAILURE() << "a request waited for the re-initialisation instead of failing at once";
    }
    try {
      request.get();
      ADD_FAILURE() << "signed while the token was down";
    } catch (const Error& e) {
      return e;
    }
    return std::nullopt;
  };
  const int logins = faults::login_calls.load();
  inject(CKR_DEVICE_ERROR);
  const auto first = sign_while_down();
  ASSERT_TRUE(first) << "the request that met the device error cannot succeed";
  EXPECT_TRUE(first->rv() == CKR_DEVICE_ERROR || first->category() == ErrorCategory::kUnavailable)
      << first->what();

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (faults::login_calls.load() < logins + 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_GE(faults::login_calls.load(), logins + 2) << "the re-login was not retried";
  ASSERT_NE(token_->state(), pkcs11::TokenState::kReady);
  const auto meanwhile = sign_while_down();
  ASSERT_TRUE(meanwhile);
  EXPECT_EQ(meanwhile->category(), ErrorCategory::kUnavailable) << meanwhile->what();

  faults::login_times = 0;
  const auto ready_by = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (token_->state() != pkcs11::TokenState::kReady &&
         std::chrono::steady_clock::now() < ready_by) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(token_->state(), pkcs11::TokenState::kReady) << token_->state_reason();
  EXPECT_TRUE(sign_ok());
}

// Re-initialising after a device error logs in again; a PIN the token then refuses is not tried
// again (retries lock tokens), and the reason says so rather than promising a retry.
TEST_F(Recovery, APinRefusedWhileReinitialisingIsNotRetried) {
  faults::login_rv = CKR_PIN_INCORRECT;
  faults::login_times = 1;
  inject(CKR_DEVICE_ERROR);
  EXPECT_THROW(sign_ok(), Error);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (token_->state_reason().find("not retrying") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const std::string reason = token_->state_reason();
  EXPECT_NE(reason.find("CKR_PIN_INCORRECT"), std::string::npos) << reason;
  EXPECT_NE(reason.find("not retrying"), std::string::npos) << reason;
  EXPECT_EQ(reason.find("retrying in"), std::string::npos) << reason;
  const int logins = faults::login_calls.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // several backoff periods in tests
  EXPECT_EQ(faults::login_calls.load(), logins) << "the refused PIN was tried again";
  EXPECT_EQ(token_->state(), pkcs11::TokenState::kDown);
}

TEST_F(Recovery, BadInputIsNotRetried) {
  inject(CKR_DATA_LEN_RANGE);
  try {
    sign_ok();
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kBadInput);
  }
  EXPECT_EQ(token_->recoveries(), 0u);
  EXPECT_TRUE(sign_ok()) << "the session that failed was replaced";
}

TEST_F(Recovery, AllSessionsClosedUnderneathOneSigner) {
  token_->module().call<&CK_FUNCTION_LIST::C_CloseAllSessions>(token_->slot());
  EXPECT_TRUE(sign_ok());
  EXPECT_TRUE(sign_ok());
}

}  // namespace
}  // namespace p11signd::testing
