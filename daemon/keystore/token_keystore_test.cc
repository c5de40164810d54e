// The real KeyStore on a throwaway SoftHSM token: what the daemon's routes see of the token layer.
#include "daemon/keystore/token_keystore.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "common/encoding.h"
#include "pkcs11/public_key.h"
#include "tests/testing/token_fixture.h"

namespace p11signd::daemon {
namespace {

class TokenKeyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::make_unique<TokenKeyStore>(pkcs11::Token::open(hsm_.config()));
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
  testing::SoftHsm hsm_;
  std::unique_ptr<TokenKeyStore> store_;
};

TEST_F(TokenKeyStoreTest, GeneratedKeyIsListedAndSigns) {
  const KeyInfo info = store_->generate_key("shop", "shop-label", 2048);
  EXPECT_EQ(info.label, "shop-label");
  EXPECT_TRUE(info.generated_on_token);
  EXPECT_FALSE(info.extractable);
  ASSERT_EQ(store_->keys().size(), 1u);
  auto session = store_->open_session();
  const SignRequest req{SignAlg::kRsaPkcs1Sha256, 32};
  const Bytes sig = session->sign("shop", req, as_bytes("hello"));
  EXPECT_TRUE(pkcs11::verify_rsa(info.spki_der, false, 0, as_bytes("hello"), sig));
}

TEST_F(TokenKeyStoreTest, ErrorsMapToKinds) {
  store_->generate_key("shop", "shop", 2048);
  EXPECT_EQ(kind_of([&] { store_->generate_key("shop", "other", 2048); }),
            StoreErrorKind::kConflict);
  EXPECT_EQ(kind_of([&] { store_->generate_key("x", "shop", 2048); }), StoreErrorKind::kConflict);
  EXPECT_EQ(kind_of([&] { store_->generate_key("y", "y", 1000); }), StoreErrorKind::kBadInput);
  auto session = store_->open_session();
  EXPECT_EQ(kind_of([&] { session->sign("nosuch", {}, as_bytes("x")); }),
            StoreErrorKind::kNotFound);
  EXPECT_EQ(kind_of([&] {
              store_->set_keys({{"gone", "no-label", "", false}});
            }),
            StoreErrorKind::kNotFound);
  EXPECT_EQ(kind_of([&] {
              store_->set_keys({{"bad", "", "zz", false}});
            }),
            StoreErrorKind::kBadInput);
  EXPECT_EQ(kind_of([&] { store_->certificate_pem("nosuch"); }), StoreErrorKind::kNotFound);
}

// pem.empty() alone would hold after a clear() that left the key in memory: the test looks at the
// caller's buffer itself, which the store wipes in place (cleansed, then cleared, never freed).
TEST_F(TokenKeyStoreTest, ImportWipesThePemAndReportsImported) {
  std::string pem = testing::read_file(testing::testdata("swifood/private_key.pem"));
  ASSERT_GT(pem.size(), std::string().capacity());  // on the heap, not in the small-string buffer
  const char* buffer = pem.data();
  const std::size_t size = pem.size();
  const KeyInfo info = store_->import_key("swifood", "swifood", pem);
  EXPECT_TRUE(pem.empty());
  ASSERT_EQ(pem.data(), buffer);  // still owned by pem, so still readable
  ASSERT_GE(pem.capacity(), size);
  EXPECT_TRUE(std::all_of(buffer, buffer + size, [](char c) { return c == '\0'; }))
      << "the private key PEM was left in the caller's buffer";
  EXPECT_FALSE(info.generated_on_token);
}

TEST_F(TokenKeyStoreTest, CertificateIsStoredAndStatusIsReady) {
  store_->generate_key("shop", "shop", 2048);
  EXPECT_FALSE(store_->certificate_pem("shop").has_value());
  const std::string pem = store_->make_certificate("shop", "CN=shop", 10, false);
  EXPECT_EQ(store_->certificate_pem("shop"), pem);
  try {
    store_->make_certificate("shop", "CN=other", 10, false);
    ADD_FAILURE() << "a stored certificate was replaced without replace";
  } catch (const StoreError& e) {
    EXPECT_EQ(e.kind(), StoreErrorKind::kConflict);
    EXPECT_NE(std::string(e.what()).find("\"replace\": true"), std::string::npos) << e.what();
  }
  EXPECT_EQ(store_->certificate_pem("shop"), pem);
  const std::string renewed = store_->make_certificate("shop", "CN=renewed", 10, true);
  EXPECT_EQ(store_->certificate_pem("shop"), renewed);
  EXPECT_NE(store_->make_csr("shop", "CN=shop").find("BEGIN CERTIFICATE REQUEST"),
            std::string::npos);
  const TokenStatus s = store_->status();
  EXPECT_TRUE(s.ok);
  EXPECT_EQ(s.state, "ready");
  EXPECT_EQ(s.token_label, "p11test");
}

TEST_F(TokenKeyStoreTest, SetKeysSelectsByHexId) {
  const KeyInfo info = store_->generate_key("shop", "shop", 2048);
  store_->set_keys({{"by-id", "", info.id_hex, false}});
  ASSERT_TRUE(store_->key("by-id").has_value());
  EXPECT_EQ(store_->key("by-id")->fingerprint_sha256, info.fingerprint_sha256);
}

// Created keys are not in the file: a reload keeps them, unless the file now names them.
TEST_F(TokenKeyStoreTest, SetKeysKeepsCreatedKeysUnlessItNamesThem) {
  store_->generate_key("made", "made", 2048);
  store_->set_keys({});
  ASSERT_TRUE(store_->key("made").has_value());
  const KeyInfo info = store_->generate_key("other", "other-label", 2048);
  store_->set_keys({{"made", "other-label", "", false}});  // the file takes the name over
  EXPECT_EQ(store_->key("made")->fingerprint_sha256, info.fingerprint_sha256);
  store_->set_keys({});
  EXPECT_FALSE(store_->key("made").has_value());  // from the file now, so the file removes it
  EXPECT_TRUE(store_->key("other").has_value());
}

// Keys created at the same moment, from several workers, are all published (each addition reads
// and publishes the set under one lock), and a name asked for twice is made once.
TEST_F(TokenKeyStoreTest, ConcurrentCreationsAreAllKept) {
  std::vector<std::thread> threads;
  std::atomic<int> conflicts{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      try {
        store_->generate_key("k" + std::to_string(i % 3), "label" + std::to_string(i), 2048);
      } catch (const StoreError& e) {
        if (e.kind() == StoreErrorKind::kConflict) ++conflicts;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(conflicts.load(), 1);
  EXPECT_EQ(store_->keys().size(), 3u);
  auto session = store_->open_session();
  for (const char* name : {"k0", "k1", "k2"}) {
    EXPECT_NO_THROW(session->sign(name, {SignAlg::kRsaPkcs1Sha256, 32}, as_bytes("x"))) << name;
  }
}

}  // namespace
}  // namespace p11signd::daemon
