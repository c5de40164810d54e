// make_keystore: the daemon's [token] section opens a real token, and each way it can fail maps to
// the exit status systemd acts on (exit_codes.h).
#include "daemon/keystore/make_keystore.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <fstream>

#include "daemon/lifecycle/daemon.h"
#include "daemon/lifecycle/exit_codes.h"
#include "pkcs11/key_generation.h"
#include "tests/testing/token_fixture.h"

namespace p11signd::daemon {
namespace {

class MakeKeystoreTest : public ::testing::Test {
 protected:
  Config config() const {
    Config c;
    c.token.module = testing::softhsm_module();
    c.token.uri = hsm_.uri();
    c.token.pin_file = hsm_.pin_file();
    return c;
  }
  // The exit status p11signd would stop with, or -1 when the store opened.
  int exit_status(const Config& c) {
    try {
      make_keystore(c);
      return -1;
    } catch (const StoreError& e) {
      message_ = e.what();
      return exit_code_for(e);
    }
  }
  testing::SoftHsm hsm_;
  std::string message_;
};

TEST_F(MakeKeystoreTest, OpensTheTokenAndResolvesTheConfiguredKeys) {
  {
    auto token = pkcs11::Token::open(hsm_.config());
    pkcs11::generate_key(*token, "shop", {"shop-label", {}}, 2048);
  }
  Config c = config();
  c.keys["shop"].spec = {"shop", "shop-label", "", false};
  auto store = make_keystore(c);
  ASSERT_TRUE(store->key("shop").has_value());
  EXPECT_EQ(store->key("shop")->label, "shop-label");
  EXPECT_TRUE(store->status().ok);
}

TEST_F(MakeKeystoreTest, SessionsFollowTokenMaxSessionsThenWorkers) {
  Config c = config();
  c.daemon.workers = 3;
  EXPECT_EQ(token_config_for(c).max_sessions, 3u);
  c.token.max_sessions = 2;
  EXPECT_EQ(token_config_for(c).max_sessions, 2u);
  EXPECT_EQ(make_keystore(c)->max_sessions(), 2u);
}

// The audit checkpoints sign on a session of their own: one more than the workers, so that they
// keep all of theirs (worker_count() gives the workers one fewer than max_sessions()).
TEST_F(MakeKeystoreTest, AnAuditKeyAddsASessionUnlessMaxSessionsIsSet) {
  Config c = config();
  c.daemon.workers = 3;
  c.daemon.audit_key = "audit";
  EXPECT_EQ(token_config_for(c).max_sessions, 4u);
  auto store = make_keystore(c);
  EXPECT_EQ(worker_count(c.daemon, *store), 3u);
  c.token.max_sessions = 2;
  EXPECT_EQ(token_config_for(c).max_sessions, 2u);
}

TEST_F(MakeKeystoreTest, WrongPinIsAConfigurationErrorNamingThePinCode) {
  Config c = config();
  const std::string wrong = hsm_.dir() / "wrong-pin";
  std::ofstream(wrong) << "0000\n";
  ASSERT_EQ(::chmod(wrong.c_str(), 0600), 0);  // a PIN file must be its owner's only
  c.token.pin_file = wrong;
  EXPECT_EQ(exit_status(c), kExitConfig);
  EXPECT_NE(message_.find("CKR_PIN_INCORRECT"), std::string::npos) << message_;
}

TEST_F(MakeKeystoreTest, MissingKeyIsAConfigurationError) {
  Config c = config();
  c.keys["gone"].spec = {"gone", "no-such-label", "", false};
  EXPECT_EQ(exit_status(c), kExitConfig);
  EXPECT_NE(message_.find("'gone'"), std::string::npos) << message_;
}

TEST_F(MakeKeystoreTest, AbsentTokenIsUnavailableSoSystemdRetries) {
  Config c = config();
  c.token.uri = "pkcs11:token=not-plugged-in";
  EXPECT_EQ(exit_status(c), kExitUnavailable);
  EXPECT_NE(message_.find("not-plugged-in"), std::string::npos) << message_;
}

// allow-extractable goes from the [key.NAME] section to the token's key registry: a key another
// tool left extractable stops the start (78, naming the option) until the section allows it.
TEST_F(MakeKeystoreTest, ExtractableKeyNeedsAllowExtractableInItsSection) {
  {
    auto token = pkcs11::Token::open(hsm_.config());
    testing::generate_key_with_protection(*token, "legacy", /*sensitive=*/true,
                                          /*extractable=*/true);
  }
  const std::string file = "[token]\nmodule = " + testing::softhsm_module() +
                           "\nuri = " + hsm_.uri() + "\npin-file = " + hsm_.pin_file() +
                           "\n[key.legacy]\nlabel = legacy\n";
  ConfigResult refused = parse_config_text(file);
  ASSERT_TRUE(refused.ok()) << refused.problems.front();
  EXPECT_EQ(exit_status(refused.config), kExitConfig);
  EXPECT_NE(message_.find("allow-extractable = true in [key.legacy]"), std::string::npos)
      << message_;

  ConfigResult allowed = parse_config_text(file + "allow-extractable = true\n");
  ASSERT_TRUE(allowed.ok()) << allowed.problems.front();
  EXPECT_EQ(exit_status(allowed.config), -1) << message_;
}

TEST_F(MakeKeystoreTest, PinFromASystemdCredential) {
  Config c = config();
  c.token.pin_file.clear();
  c.token.pin_credential = "pin";
  ::setenv("CREDENTIALS_DIRECTORY", hsm_.dir().c_str(), 1);  // hsm_.pin_file() wrote DIR/pin
  EXPECT_TRUE(make_keystore(c)->status().ok);
  ::unsetenv("CREDENTIALS_DIRECTORY");
}

}  // namespace
}  // namespace p11signd::daemon
