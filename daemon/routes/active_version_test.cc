#include "daemon/routes/active_version.h"

#include <gtest/gtest.h>

#include "common/testing/software_sign.h"
#include "daemon/testing/fake_keystore.h"

namespace p11signd::daemon {
namespace {

class ActiveVersion : public ::testing::Test {
 protected:
  ActiveVersion() {
    store.add_token_key("shop", ::p11signd::testing::generate_software_key(KeyType::kEd25519));
    store.set_keys({{"shop", "shop", "", false}});
    first = *store.key("shop");
    store.rotate("shop", std::nullopt);
  }
  FakeKeyStore store;
  KeyInfo first;
};

TEST_F(ActiveVersion, ResolvesTheActiveVersionOfTheAdmittedKey) {
  EXPECT_EQ(resolve_active(store, "shop", first.fingerprint_sha256).version, 1u);
  store.activate("shop", 2);
  // The request was admitted for version 1's key: another version of the same name is the same key.
  EXPECT_EQ(resolve_active(store, "shop", first.fingerprint_sha256).version, 2u);
  EXPECT_EQ(resolve_active(store, "shop", "").version, 2u);
  try {
    resolve_active(store, "shop", std::string(64, '0'));
    ADD_FAILURE() << "a key the name does not have was accepted";
  } catch (const StoreError& e) {
    EXPECT_EQ(e.kind(), StoreErrorKind::kConflict);
  }
}

TEST_F(ActiveVersion, AnAttemptThatLosesTheRaceIsMadeAgainWithTheNewVersion) {
  std::vector<unsigned> tried;
  const unsigned signed_by = with_active_version(store, "shop", "", [&](const KeyInfo& active) {
    tried.push_back(active.version);
    if (tried.size() == 1) {
      store.activate("shop", 2);
      throw StoreError(StoreErrorKind::kNotActive, "version 1 is retiring");
    }
    return active.version;
  });
  EXPECT_EQ(signed_by, 2u);
  EXPECT_EQ(tried, (std::vector<unsigned>{1, 2}));
}

TEST_F(ActiveVersion, EveryAttemptLostIsAConflictAfterTheLastOne) {
  int attempts = 0;
  try {
    with_active_version(store, "shop", "", [&](const KeyInfo&) -> int {
      ++attempts;
      throw StoreError(StoreErrorKind::kNotActive, "lost");
    });
    ADD_FAILURE() << "no error";
  } catch (const StoreError& e) {
    EXPECT_EQ(e.kind(), StoreErrorKind::kNotActive);
    EXPECT_NE(std::string(e.what()).find("each of 3 attempts"), std::string::npos) << e.what();
  }
  EXPECT_EQ(attempts, kSignAttempts);
  // Other errors are not retried.
  attempts = 0;
  EXPECT_THROW(with_active_version(store, "shop", "",
                                   [&](const KeyInfo&) -> int {
                                     ++attempts;
                                     throw StoreError(StoreErrorKind::kUnavailable, "down");
                                   }),
               StoreError);
  EXPECT_EQ(attempts, 1);
}

}  // namespace
}  // namespace p11signd::daemon
