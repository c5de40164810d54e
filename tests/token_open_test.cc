// Opening a token: selection by URI, login, and the limits it states.
#include <gtest/gtest.h>

#include "pkcs11/token_init.h"
#include "tests/testing/token_fixture.h"

namespace p11signd::testing {
namespace {

using pkcs11::Error;
using pkcs11::ErrorCategory;

TEST_F(TokenTest, OpensByLabelAndDescribesTheToken) {
  open();
  EXPECT_EQ(token_->description().label, "p11test");
  EXPECT_EQ(token_->state(), pkcs11::TokenState::kReady);
  EXPECT_TRUE(token_->mechanisms().sha256_rsa_pkcs);
  EXPECT_TRUE(token_->mechanisms().sha256_rsa_pkcs_pss);
  EXPECT_EQ(faults::login_calls.load(), 1);
}

TEST_F(TokenTest, OpensBySerialFromTheUri) {
  open();
  const std::string serial = token_->description().serial;
  token_.reset();
  auto c = config();
  c.uri = "pkcs11:serial=" + serial;
  EXPECT_EQ(pkcs11::Token::open(std::move(c))->description().serial, serial);
}

TEST_F(TokenTest, WrongPinFailsOnceWithPinIncorrectNamed) {
  auto c = config();
  c.read_pin = [] { return pkcs11::Secret(std::string("0000")); };
  try {
    pkcs11::Token::open(std::move(c));
    FAIL() << "a wrong PIN must fail";
  } catch (const Error& e) {
    EXPECT_EQ(e.rv(), CKR_PIN_INCORRECT);
    EXPECT_NE(std::string(e.what()).find("CKR_PIN_INCORRECT"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("p11test"), std::string::npos) << e.what();
  }
  EXPECT_EQ(faults::login_calls.load(), 1) << "a wrong PIN must never be retried";
}

TEST_F(TokenTest, UnknownTokenListsWhatIsThere) {
  auto c = config();
  c.uri = "pkcs11:token=nosuch";
  try {
    pkcs11::Token::open(std::move(c));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("token=nosuch"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("'p11test'"), std::string::npos) << e.what();
  }
}

TEST_F(TokenTest, MalformedUriIsBadInput) {
  auto c = config();
  c.uri = "http://example.com/";
  try {
    pkcs11::Token::open(std::move(c));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kBadInput);
    EXPECT_NE(std::string(e.what()).find("http://example.com/"), std::string::npos);
  }
}

TEST_F(TokenTest, MissingModuleNamesThePath) {
  auto c = config();
  c.module_path = "/nonexistent/libnothing.so";
  try {
    pkcs11::Token::open(std::move(c));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/libnothing.so"), std::string::npos);
  }
}

TEST_F(TokenTest, SessionsBoundedByConfigAndByToken) {
  auto c = config();
  c.max_sessions = 3;
  token_ = pkcs11::Token::open(std::move(c));
  EXPECT_EQ(token_->session_limit(), 3u);
  token_.reset();

  faults::max_session_count = 3;  // the token states 3: one is the login session
  c = config();
  c.max_sessions = 8;
  token_ = pkcs11::Token::open(std::move(c));
  EXPECT_EQ(token_->session_limit(), 2u);
  pkcs11::Signer a(*token_), b(*token_);
  try {
    pkcs11::Signer third(*token_);
    FAIL() << "a third signer must not get a session";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kUnavailable);
  }
}

TEST_F(TokenTest, MissingKeyAtOpenIsListed) {
  try {
    open({by_label("shop", "nosuch-label"), by_label("other", "also-missing")});
    FAIL();
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("key 'shop' (label 'nosuch-label')"), std::string::npos) << what;
    EXPECT_NE(what.find("key 'other'"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace p11signd::testing

namespace p11signd::testing {
namespace {

TEST_F(TokenTest, InitialisesASecondTokenAndLogsInToIt) {
  const std::string module = softhsm_module();
  EXPECT_TRUE(pkcs11::token_label_exists(module, "p11test"));
  EXPECT_FALSE(pkcs11::token_label_exists(module, "second"));
  pkcs11::initialize_token(module, "second", pkcs11::Secret(std::string("so-secret")),
                           pkcs11::Secret(std::string("user-secret")));
  EXPECT_TRUE(pkcs11::token_label_exists(module, "second"));
  auto c = config();
  c.uri = "pkcs11:token=second";
  c.read_pin = [] { return pkcs11::Secret(std::string("user-secret")); };
  auto second = pkcs11::Token::open(std::move(c));
  EXPECT_EQ(second->description().label, "second");
}

}  // namespace
}  // namespace p11signd::testing
