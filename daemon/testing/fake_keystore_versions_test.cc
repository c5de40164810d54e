// The fake store's key versions keep the contract the routes rely on
// (daemon/keystore/key_versions.h).
#include <gtest/gtest.h>

#include <functional>

#include "common/public_key.h"
#include "common/testing/software_sign.h"
#include "daemon/testing/fake_keystore.h"

namespace p11signd::daemon {
namespace {

class FakeVersions : public ::testing::Test {
 protected:
  FakeVersions() {
    store.add_token_key("shop-label", ::p11signd::testing::generate_software_key(KeyType::kEcP256));
    store.set_keys({{"shop", "shop-label", "", false}});
  }

  StoreErrorKind kind_of(const std::function<void()>& f) {
    try {
      f();
    } catch (const StoreError& e) {
      return e.kind();
    }
    ADD_FAILURE() << "no StoreError";
    return StoreErrorKind::kInternal;
  }

  std::vector<VersionState> states() {
    std::vector<VersionState> out;
    for (const auto& v : store.versions("shop")) out.push_back(v.state);
    return out;
  }

  FakeKeyStore store;
};

using S = VersionState;

TEST_F(FakeVersions, RotateMakesAPendingVersionOfTheActiveShape) {
  const KeyInfo made = store.rotate("shop", std::nullopt);
  EXPECT_EQ(made.version, 2u);
  EXPECT_EQ(made.state, S::kPending);
  EXPECT_EQ(made.type, KeyType::kEcP256);
  EXPECT_EQ(made.created.size(), 20u) << made.created;
  EXPECT_NE(made.fingerprint_sha256, store.key("shop")->fingerprint_sha256);
  EXPECT_EQ(store.rotate("shop", KeyShape(KeyType::kEd25519, 256)).type, KeyType::kEd25519);
  EXPECT_EQ(kind_of([&] { store.rotate("shop", KeyShape(1024)); }), StoreErrorKind::kBadInput);
  EXPECT_EQ(kind_of([&] { store.rotate("nope", std::nullopt); }), StoreErrorKind::kNotFound);
}

TEST_F(FakeVersions, ActivateRetiresTheOldActiveInTheSameStep) {
  store.rotate("shop", std::nullopt);
  EXPECT_EQ(store.activate("shop", 2).state, S::kActive);
  EXPECT_EQ(states(), (std::vector<S>{S::kRetiring, S::kActive}));
  EXPECT_EQ(store.key("shop")->version, 2u);
  // Back to the retiring one, then retire and destroy the other.
  store.activate("shop", 1);
  EXPECT_EQ(states(), (std::vector<S>{S::kActive, S::kRetiring}));
  EXPECT_EQ(kind_of([&] { store.activate("shop", 1); }), StoreErrorKind::kConflict);
  EXPECT_EQ(kind_of([&] { store.retire("shop", 1); }), StoreErrorKind::kConflict);
  EXPECT_EQ(kind_of([&] { store.destroy("shop", 2); }), StoreErrorKind::kConflict);
  store.retire("shop", 2);
  EXPECT_EQ(kind_of([&] { store.activate("shop", 2); }), StoreErrorKind::kConflict);
  store.destroy("shop", 2);
  EXPECT_EQ(states(), (std::vector<S>{S::kActive}));
  EXPECT_EQ(kind_of([&] { store.retire("shop", 2); }), StoreErrorKind::kNotFound);
}

TEST_F(FakeVersions, PinnedSigningNeedsTheVersionStillActive) {
  const KeyInfo first = *store.key("shop");
  const KeyInfo second = store.rotate("shop", std::nullopt);
  SignRequest req;
  req.alg = SignAlg::kEcdsaSha256;
  const Bytes data = {1, 2, 3};
  EXPECT_EQ(kind_of([&] {
              store.sign({"shop", second.fingerprint_sha256, 2}, req, data);
            }),
            StoreErrorKind::kNotActive);
  const Bytes sig = store.sign({"shop", first.fingerprint_sha256, 1}, req, data);
  EXPECT_TRUE(verify_signature(first.spki_der, req, data, sig));
  // The switch activates version 2 between the resolve and the signature.
  store.activate_before_next_sign("shop", 2);
  EXPECT_EQ(kind_of([&] {
              store.sign({"shop", first.fingerprint_sha256, 1}, req, data);
            }),
            StoreErrorKind::kNotActive);
  EXPECT_TRUE(verify_signature(second.spki_der, req, data,
                               store.sign({"shop", second.fingerprint_sha256, 2}, req, data)));
  // A pinned version with another key's fingerprint is refused as a reload's would be.
  EXPECT_EQ(kind_of([&] {
              store.sign({"shop", first.fingerprint_sha256, 2}, req, data);
            }),
            StoreErrorKind::kConflict);
}

TEST_F(FakeVersions, SettingsAndCertificatesArePerVersion) {
  store.rotate("shop", std::nullopt);
  store.set_version_settings("shop", 2, {{"jws.kid", "two"}, {"amazonpay.region", ""}});
  EXPECT_EQ(store.versions("shop")[1].settings, (VersionSettings{{"jws.kid", "two"}}));
  EXPECT_TRUE(store.versions("shop")[0].settings.empty());
  store.make_certificate({"shop", "", 2}, "CN=two", 30, false);
  EXPECT_TRUE(store.certificate_pem({"shop", "", 2}));
  EXPECT_FALSE(store.certificate_pem(KeyRef("shop")));
  EXPECT_EQ(kind_of([&] { store.certificate_pem({"shop", "", 7}); }), StoreErrorKind::kNotFound);
}

TEST_F(FakeVersions, VersionsSurviveAReload) {
  store.rotate("shop", std::nullopt);
  store.activate("shop", 2);
  store.set_keys({{"shop", "shop-label", "", false}});
  EXPECT_EQ(states(), (std::vector<S>{S::kRetiring, S::kActive}));
}

}  // namespace
}  // namespace p11signd::daemon
