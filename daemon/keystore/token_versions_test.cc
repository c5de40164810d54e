// Key versions kept on a throwaway SoftHSM token: the state machine, pinned signatures, the record
// surviving a restart and read by a second store, and failed writes that change nothing. The
// module is libp11faulty.so in front of SoftHSM (no faults unless a test sets some).
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <thread>

#include "common/encoding.h"
#include "daemon/keystore/token_keystore.h"
#include "pkcs11/attributes.h"
#include "pkcs11/public_key.h"
#include "pkcs11/version_record.h"
#include "tests/testing/fault_control.h"
#include "tests/testing/softhsm.h"
#include "tests/testing/token_fixture.h"

namespace p11signd::daemon {
namespace {

constexpr SignRequest kRsaSha256{SignAlg::kRsaPkcs1Sha256, 32};

class TokenVersionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = open_store(testing::FaultControl::module_path());
    store_->generate_key("shop", "shop", 2048);
  }

  std::unique_ptr<TokenKeyStore> open_store(const std::string& module,
                                            std::vector<pkcs11::KeySpec> keys = {}) const {
    auto config = hsm_.config(std::move(keys));
    config.module_path = module;
    return std::make_unique<TokenKeyStore>(pkcs11::Token::open(std::move(config)));
  }
  // The store a daemon started now would have: its configuration names version 1 by its label.
  void restart(const std::string& name = "shop") {
    store_.reset();
    store_ = open_store(testing::FaultControl::module_path(), {testing::by_label(name, "shop")});
  }
  // A second daemon on the same token: another copy of the SoftHSM library, which keeps its own
  // state as another process would (one library cannot be initialised twice in a process).
  std::unique_ptr<TokenKeyStore> second_store(
      std::chrono::milliseconds refresh = std::chrono::milliseconds(0)) const {
    const auto copy = hsm_.dir() / "libsofthsm2-second.so";
    std::filesystem::copy_file(testing::softhsm_module(), copy,
                               std::filesystem::copy_options::overwrite_existing);
    auto config = hsm_.config({testing::by_label("shop", "shop")});
    config.module_path = copy;
    config.version_refresh = refresh;
    return std::make_unique<TokenKeyStore>(pkcs11::Token::open(std::move(config)));
  }

  static StoreErrorKind kind_of(const std::function<void()>& f) {
    try {
      f();
    } catch (const StoreError& e) {
      return e.kind();
    }
    ADD_FAILURE() << "no StoreError";
    return StoreErrorKind::kInternal;
  }
  static std::string message_of(const std::function<void()>& f) {
    try {
      f();
    } catch (const StoreError& e) {
      return e.what();
    }
    ADD_FAILURE() << "no StoreError";
    return "";
  }

  static std::map<unsigned, VersionState> states(const KeyStore& store,
                                                 const std::string& name = "shop") {
    std::map<unsigned, VersionState> out;
    for (const auto& v : store.versions(name)) out.emplace(v.version, v.state);
    return out;
  }
  std::map<unsigned, VersionState> states() const { return states(*store_); }

  // Objects of a class on the token, all or those with the CKA_ID id_hex.
  std::size_t count(CK_OBJECT_CLASS cls, const std::string& id_hex = {}) {
    return store_->token().with_admin_session([&](const pkcs11::Module& m, CK_SESSION_HANDLE s) {
      pkcs11::Template query;
      query.add_ulong(CKA_CLASS, cls);
      if (!id_hex.empty()) query.add_bytes(CKA_ID, *hex_decode(id_hex));
      return pkcs11::find_objects(m, s, query).size();
    });
  }
  std::size_t records() { return count(CKO_DATA); }

  Bytes sign(const KeyRef& key) {
    return store_->open_session()->sign(key, kRsaSha256, as_bytes("payload"));
  }
  static bool verifies(const KeyInfo& info, ByteView sig) {
    return pkcs11::verify_rsa(info.spki_der, false, 0, as_bytes("payload"), sig);
  }

  testing::SoftHsm hsm_;
  testing::FaultControl faults_{hsm_.dir()};
  std::unique_ptr<TokenKeyStore> store_;
};

using S = VersionState;

TEST_F(TokenVersionsTest, OldStyleKeyIsVersionOneActiveAndUntouchedUntilTheFirstRotate) {
  const auto versions = store_->versions("shop");
  ASSERT_EQ(versions.size(), 1u);
  EXPECT_EQ(versions[0].version, 1u);
  EXPECT_EQ(versions[0].state, S::kActive);
  EXPECT_EQ(versions[0].created, "");
  EXPECT_EQ(store_->key("shop")->version, 1u);
  // Refused transitions and unknown versions write nothing.
  EXPECT_EQ(kind_of([&] { store_->activate("shop", 1); }), StoreErrorKind::kConflict);
  EXPECT_EQ(kind_of([&] { store_->retire("shop", 1); }), StoreErrorKind::kConflict);
  EXPECT_EQ(kind_of([&] { store_->destroy("shop", 1); }), StoreErrorKind::kConflict);
  EXPECT_EQ(kind_of([&] { store_->activate("shop", 2); }), StoreErrorKind::kNotFound);
  EXPECT_EQ(kind_of([&] { store_->rotate("nosuch", std::nullopt); }), StoreErrorKind::kNotFound);
  EXPECT_EQ(kind_of([&] { store_->versions("nosuch"); }), StoreErrorKind::kNotFound);
  restart();
  EXPECT_EQ(records(), 0u);
  EXPECT_EQ(states(), (std::map<unsigned, S>{{1, S::kActive}}));

  const KeyInfo v2 = store_->rotate("shop", std::nullopt);
  EXPECT_EQ(records(), 1u);
  EXPECT_EQ(v2.version, 2u);
  EXPECT_EQ(v2.state, S::kPending);
  EXPECT_EQ(v2.label, "shop.v2");
  EXPECT_EQ(v2.type, KeyType::kRsa);
  EXPECT_EQ(v2.bits, 2048u);
  EXPECT_TRUE(v2.generated_on_token);
  EXPECT_FALSE(v2.extractable);
  EXPECT_TRUE(v2.sensitive);
  EXPECT_EQ(v2.created.size(), std::string("2026-12-06T07:55:00Z").size()) << v2.created;
  EXPECT_NE(v2.fingerprint_sha256, store_->key("shop")->fingerprint_sha256);
  EXPECT_EQ(store_->key("shop")->version, 1u);  // pending: version 1 still signs
}

TEST_F(TokenVersionsTest, StateMachineAllowsOnlyTheContractsTransitions) {
  store_->rotate("shop", std::nullopt);
  EXPECT_EQ(kind_of([&] { store_->retire("shop", 1); }), StoreErrorKind::kConflict);
  EXPECT_NE(message_of([&] { store_->retire("shop", 1); }).find("activate another version first"),
            std::string::npos);
  EXPECT_EQ(kind_of([&] { store_->destroy("shop", 2); }), StoreErrorKind::kConflict);
  EXPECT_EQ(kind_of([&] { store_->destroy("shop", 1); }), StoreErrorKind::kConflict);
  EXPECT_EQ(kind_of([&] { store_->activate("shop", 1); }), StoreErrorKind::kConflict);

  EXPECT_EQ(store_->activate("shop", 2).state, S::kActive);
  EXPECT_EQ(states(), (std::map<unsigned, S>{{1, S::kRetiring}, {2, S::kActive}}));
  EXPECT_EQ(store_->key("shop")->version, 2u);
  EXPECT_EQ(kind_of([&] { store_->destroy("shop", 1); }), StoreErrorKind::kConflict);
  EXPECT_EQ(kind_of([&] { store_->retire("shop", 2); }), StoreErrorKind::kConflict);
  // A retiring version may come back (a rotation called off).
  store_->activate("shop", 1);
  EXPECT_EQ(states(), (std::map<unsigned, S>{{1, S::kActive}, {2, S::kRetiring}}));
  store_->activate("shop", 2);

  EXPECT_EQ(store_->retire("shop", 1).state, S::kRetired);
  EXPECT_EQ(kind_of([&] { store_->activate("shop", 1); }), StoreErrorKind::kConflict);
  EXPECT_EQ(kind_of([&] { store_->retire("shop", 1); }), StoreErrorKind::kConflict);
  EXPECT_EQ(store_->rotate("shop", std::nullopt).version, 3u);
  EXPECT_EQ(store_->retire("shop", 3).state, S::kRetired);  // pending -> retired
  EXPECT_EQ(kind_of([&] { store_->activate("shop", 9); }), StoreErrorKind::kNotFound);
  const std::string message = message_of([&] { store_->destroy("shop", 2); });
  EXPECT_NE(message.find("key 'shop' version 2"), std::string::npos) << message;

  store_->destroy("shop", 3);
  EXPECT_EQ(states(), (std::map<unsigned, S>{{1, S::kRetired}, {2, S::kActive}}));
  EXPECT_EQ(kind_of([&] { store_->destroy("shop", 3); }), StoreErrorKind::kNotFound);
  // A destroyed version's number is not given again.
  EXPECT_EQ(store_->rotate("shop", std::nullopt).version, 4u);
}

TEST_F(TokenVersionsTest, RotateTakesAShapeOrTheActiveVersionsShape) {
  const KeyInfo ec = store_->rotate("shop", KeyShape(KeyType::kEcP256, 256));
  EXPECT_EQ(ec.type, KeyType::kEcP256);
  store_->activate("shop", ec.version);
  const KeyInfo next = store_->rotate("shop", std::nullopt);
  EXPECT_EQ(next.type, KeyType::kEcP256);
  EXPECT_EQ(kind_of([&] { store_->rotate("shop", KeyShape(1000)); }), StoreErrorKind::kBadInput);
  EXPECT_EQ(store_->versions("shop").size(), 3u);
}

TEST_F(TokenVersionsTest, PinnedSignatureAfterItsActivationEndedIsNotActive) {
  const KeyInfo v1 = *store_->key("shop");
  const KeyInfo v2 = store_->rotate("shop", std::nullopt);
  EXPECT_TRUE(verifies(v1, sign(KeyRef("shop", v1.fingerprint_sha256, 1))));
  EXPECT_EQ(kind_of([&] { sign(KeyRef("shop", "", 2)); }), StoreErrorKind::kNotActive);
  auto session = store_->open_session();  // a session opened before the switch
  store_->activate("shop", 2);
  EXPECT_EQ(kind_of([&] { session->sign(KeyRef("shop", "", 1), kRsaSha256, as_bytes("x")); }),
            StoreErrorKind::kNotActive);
  EXPECT_TRUE(verifies(v2, sign(KeyRef("shop", v2.fingerprint_sha256, 2))));
  EXPECT_TRUE(verifies(v2, sign(KeyRef("shop"))));
  // Admitted before the activation (version 1's fingerprint), unpinned: the name's active key.
  EXPECT_TRUE(verifies(v2, sign(KeyRef("shop", v1.fingerprint_sha256))));
  EXPECT_EQ(kind_of([&] { sign(KeyRef("shop", "", 7)); }), StoreErrorKind::kNotFound);
  EXPECT_EQ(kind_of([&] { sign(KeyRef("shop", std::string(64, '0'))); }),
            StoreErrorKind::kConflict);
}

// Signers pin the version they read as active and start again on kNotActive, while versions are
// rotated in and activated: no other error, and every signature verifies with the version pinned.
TEST_F(TokenVersionsTest, SignersPinningTheActiveVersionNeverFailThroughActivations) {
  std::atomic<bool> stop{false};
  std::atomic<int> retries{0};
  std::vector<std::thread> signers;
  std::vector<std::vector<std::pair<unsigned, Bytes>>> made(3);
  std::vector<std::string> errors(3);
  for (int t = 0; t < 3; ++t) {
    signers.emplace_back([&, t] {
      auto session = store_->open_session();
      try {
        while (!stop) {
          const KeyInfo active = *store_->key("shop");
          try {
            made[t].emplace_back(
                active.version,
                session->sign(KeyRef("shop", active.fingerprint_sha256, active.version), kRsaSha256,
                              as_bytes("payload")));
          } catch (const StoreError& e) {
            if (e.kind() != StoreErrorKind::kNotActive) throw;
            ++retries;
          }
        }
      } catch (const std::exception& e) {
        errors[t] = e.what();
      }
    });
  }
  for (int i = 0; i < 3; ++i) {
    const unsigned next = store_->rotate("shop", std::nullopt).version;
    store_->activate("shop", next);
  }
  stop = true;
  for (auto& t : signers) t.join();
  std::map<unsigned, KeyInfo> by_version;
  for (const auto& v : store_->versions("shop")) by_version.emplace(v.version, v);
  for (int t = 0; t < 3; ++t) {
    EXPECT_EQ(errors[t], "");
    EXPECT_FALSE(made[t].empty());
    for (const auto& [version, sig] : made[t]) {
      EXPECT_TRUE(verifies(by_version.at(version), sig)) << "version " << version;
    }
  }
  EXPECT_EQ(store_->key("shop")->version, 4u);
}

TEST_F(TokenVersionsTest, VersionsSurviveARestartAndARename) {
  const KeyInfo v2 = store_->rotate("shop", std::nullopt);
  store_->activate("shop", 2);
  store_->set_version_settings("shop", 2,
                               {{"jws.kid", "shop-2"}, {"amazonpay.public-key-id", "X"}});
  store_->set_version_settings("shop", 2,
                               {{"jws.kid", "shop-2b"}, {"amazonpay.public-key-id", ""}});
  store_->rotate("shop", std::nullopt);
  restart("renamed");
  EXPECT_EQ(states(*store_, "renamed"),
            (std::map<unsigned, S>{{1, S::kRetiring}, {2, S::kActive}, {3, S::kPending}}));
  const KeyInfo active = *store_->key("renamed");
  EXPECT_EQ(active.version, 2u);
  EXPECT_EQ(active.name, "renamed");
  EXPECT_EQ(active.fingerprint_sha256, v2.fingerprint_sha256);
  EXPECT_EQ(active.created, v2.created);
  EXPECT_EQ(active.settings, (VersionSettings{{"jws.kid", "shop-2b"}}));
  EXPECT_EQ(store_->keys().at(0).version, 2u);
  EXPECT_TRUE(verifies(v2, sign(KeyRef("renamed"))));
}

// Version 1 destroyed: the configuration still names it, and the record it anchors still answers.
TEST_F(TokenVersionsTest, DestroyRemovesThePairAndCertificateFromTheToken) {
  const KeyInfo v1 = *store_->key("shop");
  store_->make_certificate(KeyRef("shop"), "CN=shop", 10, false);
  EXPECT_EQ(count(CKO_CERTIFICATE, v1.id_hex), 1u);
  store_->rotate("shop", std::nullopt);
  store_->activate("shop", 2);
  store_->retire("shop", 1);
  store_->destroy("shop", 1);
  EXPECT_EQ(count(CKO_PRIVATE_KEY, v1.id_hex), 0u);
  EXPECT_EQ(count(CKO_PUBLIC_KEY, v1.id_hex), 0u);
  EXPECT_EQ(count(CKO_CERTIFICATE, v1.id_hex), 0u);
  EXPECT_EQ(states(), (std::map<unsigned, S>{{2, S::kActive}}));
  restart();
  EXPECT_EQ(states(), (std::map<unsigned, S>{{2, S::kActive}}));
  EXPECT_EQ(records(), 1u);
}

TEST_F(TokenVersionsTest, RotateImportAddsAnImportedPendingVersion) {
  std::string pem = testing::read_file(testing::testdata("swifood/private_key.pem"));
  const KeyInfo v2 = store_->rotate_import("shop", pem);
  EXPECT_TRUE(pem.empty());
  EXPECT_EQ(v2.version, 2u);
  EXPECT_EQ(v2.state, S::kPending);
  EXPECT_FALSE(v2.generated_on_token);
  EXPECT_FALSE(v2.extractable);
  std::string again = testing::read_file(testing::testdata("swifood/private_key.pem"));
  EXPECT_EQ(kind_of([&] { store_->rotate_import("shop", again); }), StoreErrorKind::kConflict);
  std::string bad = "not a key";
  EXPECT_EQ(kind_of([&] { store_->rotate_import("shop", bad); }), StoreErrorKind::kBadInput);
  EXPECT_EQ(store_->versions("shop").size(), 2u);
  store_->activate("shop", 2);
  EXPECT_TRUE(verifies(v2, sign(KeyRef("shop", "", 2))));
}

TEST_F(TokenVersionsTest, EachVersionHasItsOwnCertificate) {
  const KeyInfo v2 = store_->rotate("shop", std::nullopt);
  const std::string pem = store_->make_certificate(KeyRef("shop", "", 2), "CN=next", 10, false);
  EXPECT_EQ(store_->certificate_pem(KeyRef("shop", "", 2)), pem);
  EXPECT_EQ(store_->certificate_pem(KeyRef("shop", "", 1)), std::nullopt);
  EXPECT_EQ(store_->certificate_pem(KeyRef("shop")), std::nullopt);  // the active: version 1
  EXPECT_EQ(count(CKO_CERTIFICATE, v2.id_hex), 1u);
  EXPECT_NE(store_->make_csr(KeyRef("shop", "", 2), "CN=next").find("CERTIFICATE REQUEST"),
            std::string::npos);
  store_->activate("shop", 2);
  EXPECT_EQ(store_->certificate_pem(KeyRef("shop")), pem);
  store_->retire("shop", 1);
  EXPECT_EQ(kind_of([&] { store_->make_csr(KeyRef("shop", "", 1), "CN=old"); }),
            StoreErrorKind::kConflict);
  EXPECT_EQ(kind_of([&] { store_->certificate_pem(KeyRef("shop", "", 5)); }),
            StoreErrorKind::kNotFound);
}

TEST_F(TokenVersionsTest, ASecondStoreFollowsAnActivationOnItsReload) {
  restart();  // both stores name the key in their configuration
  auto second = second_store();
  store_->rotate("shop", std::nullopt);
  store_->activate("shop", 2);
  // Until its reload the second store signs with the version it knew as active.
  EXPECT_EQ(second->key("shop")->version, 1u);
  second->set_keys({{"shop", "shop", "", false}});
  EXPECT_EQ(states(*second), (std::map<unsigned, S>{{1, S::kRetiring}, {2, S::kActive}}));
  EXPECT_EQ(kind_of([&] {
              second->open_session()->sign(KeyRef("shop", "", 1), kRsaSha256, as_bytes("x"));
            }),
            StoreErrorKind::kNotActive);
  // An admin operation reads the record from the token first: no activation of the other is lost.
  second->retire("shop", 1);
  EXPECT_EQ(states(*second), (std::map<unsigned, S>{{1, S::kRetired}, {2, S::kActive}}));
  store_->set_keys({{"shop", "shop", "", false}});
  EXPECT_EQ(states(), (std::map<unsigned, S>{{1, S::kRetired}, {2, S::kActive}}));
}

// Between reloads a refresh reads the records and publishes only the keys whose record changed.
TEST_F(TokenVersionsTest, ASecondStoreFollowsAnActivationOnARefresh) {
  restart();
  auto second = second_store();
  EXPECT_FALSE(second->token().refresh_versions());
  store_->rotate("shop", std::nullopt);  // the first record: a change too
  EXPECT_TRUE(second->token().refresh_versions());
  store_->activate("shop", 2);
  EXPECT_TRUE(second->token().refresh_versions());
  EXPECT_FALSE(second->token().refresh_versions());
  EXPECT_EQ(states(*second), (std::map<unsigned, S>{{1, S::kRetiring}, {2, S::kActive}}));
  EXPECT_EQ(kind_of([&] {
              second->open_session()->sign(KeyRef("shop", "", 1), kRsaSha256, as_bytes("x"));
            }),
            StoreErrorKind::kNotActive);
}

// The daemon's own refresh thread does the same on its own (make_keystore sets the interval).
TEST_F(TokenVersionsTest, ARefreshingStoreFollowsWithoutBeingAsked) {
  restart();
  auto second = second_store(std::chrono::milliseconds(20));
  store_->rotate("shop", std::nullopt);
  store_->activate("shop", 2);
  // A bound on the wait, not a timing assertion: the thread runs every 20 ms.
  for (int i = 0; i < 1000 && second->key("shop")->version != 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(second->key("shop")->version, 2u);
}

TEST_F(TokenVersionsTest, AFailedWriteLeavesThePreviousState) {
  store_->rotate("shop", std::nullopt);
  const std::size_t pairs = count(CKO_PRIVATE_KEY);
  faults_.set("fail C_SetAttributeValue CKR_FUNCTION_FAILED");
  const std::string message = message_of([&] { store_->activate("shop", 2); });
  EXPECT_NE(message.find("key 'shop' version 2"), std::string::npos) << message;
  EXPECT_NE(message.find("CKR_FUNCTION_FAILED"), std::string::npos) << message;
  EXPECT_EQ(kind_of([&] { store_->rotate("shop", std::nullopt); }), StoreErrorKind::kInternal);
  EXPECT_EQ(faults_.count_log("fault C_SetAttributeValue"), 2);
  EXPECT_EQ(count(CKO_PRIVATE_KEY), pairs);  // the pair made for the failed rotation is gone
  EXPECT_EQ(states(), (std::map<unsigned, S>{{1, S::kActive}, {2, S::kPending}}));
  EXPECT_EQ(store_->key("shop")->version, 1u);
  // A token that replaces the record instead (SoftHSM does): the new object cannot be made.
  faults_.set("fail C_SetAttributeValue 0x10\nfail C_CreateObject CKR_FUNCTION_FAILED");
  EXPECT_EQ(kind_of([&] { store_->activate("shop", 2); }), StoreErrorKind::kInternal);
  EXPECT_EQ(states(), (std::map<unsigned, S>{{1, S::kActive}, {2, S::kPending}}));
  EXPECT_EQ(records(), 1u);
  faults_.clear();
  restart();
  EXPECT_EQ(states(), (std::map<unsigned, S>{{1, S::kActive}, {2, S::kPending}}));
}

// A record that cannot be read stops the key rather than leave it to version 1, which may be
// retired.
TEST_F(TokenVersionsTest, ARecordThatDoesNotParseRefusesTheKeys) {
  store_->rotate("shop", std::nullopt);
  store_->token().with_admin_session([](const pkcs11::Module& m, CK_SESSION_HANDLE s) {
    pkcs11::Template t;
    t.add_ulong(CKA_CLASS, CKO_DATA)
        .add_bool(CKA_TOKEN, true)
        .add_string(CKA_APPLICATION, pkcs11::kVersionRecordApplication)
        .add_string(CKA_LABEL, "p11signd versions id=00")
        .add_string(CKA_VALUE, "{\"format\":1,");
    CK_OBJECT_HANDLE handle = CK_INVALID_HANDLE;
    m.call("C_CreateObject", &CK_FUNCTION_LIST::C_CreateObject, s, t.data(), t.size(), &handle);
    return 0;
  });
  try {
    restart();
    ADD_FAILURE() << "a key was used beside a record that does not parse";
  } catch (const pkcs11::Error& e) {
    EXPECT_NE(std::string(e.what()).find("'p11signd versions id=00'"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("not a JSON object"), std::string::npos) << e.what();
  }
}

// A token that will not modify a data object (SoftHSM 2.6 is one; the fault makes it certain): a
// new record replaces the old one, and one object is left.
TEST_F(TokenVersionsTest, ATokenThatCannotModifyTheRecordGetsANewOne) {
  store_->rotate("shop", std::nullopt);
  // 0x10: CKR_ATTRIBUTE_READ_ONLY (the control file knows only the common names).
  faults_.set("fail C_SetAttributeValue 0x10");
  store_->activate("shop", 2);
  EXPECT_EQ(faults_.count_log("fault C_SetAttributeValue"), 1);
  EXPECT_EQ(records(), 1u);
  faults_.clear();
  restart();
  EXPECT_EQ(states(), (std::map<unsigned, S>{{1, S::kRetiring}, {2, S::kActive}}));
}

}  // namespace
}  // namespace p11signd::daemon
