#pragma once
// An in-memory KeyStore over OpenSSL keys, for the daemon's tests (as kmsp11 tests against
// fakekms): the "token" is a list of labelled key pairs; set_keys() names them like the real store
// does. The versions of a name are the pairs of one family (the label of its version 1), each with
// its number, state, creation time and settings. Fault switches make every error path reachable:
// token down, slow signing, a session that cannot be opened, an activation between the moment a
// request resolved its version and the moment it signs.

#include <openssl/evp.h>

#include <atomic>
#include <chrono>
#include <future>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <set>

#include "daemon/keystore/keystore.h"
#include "daemon/routes/public_key.h"

namespace p11signd::daemon {

class FakeKeyStore final : public KeyStore {
 public:
  explicit FakeKeyStore(std::string token_label = "fake-token", unsigned max_sessions = 4);

  // Test set-up: puts a key pair on the fake token (generated, or a given one) and returns its
  // public key.
  SharedEvpPkey add_token_key(const std::string& label, unsigned bits = 2048);
  void add_token_key(const std::string& label, SharedEvpPkey key, bool extractable = false);
  void add_certificate(const std::string& label, const std::string& pem);

  // Fault switches.
  void set_down(bool down, const std::string& reason = "token removed");
  void set_sign_delay(std::chrono::milliseconds delay) { sign_delay_ms_ = delay.count(); }
  void set_open_session_fails(bool fails) { open_fails_ = fails; }
  void set_status_fails(bool fails) { status_fails_ = fails; }  // status() throws
  // set_keys() waits for gate before it does anything (a token busy generating a key); entered is
  // set when it starts waiting. Both are used once.
  void hold_set_keys(std::shared_future<void> gate, std::promise<void>* entered) {
    std::lock_guard lock(hold_mu_);
    set_keys_gate_ = std::move(gate);
    set_keys_entered_ = entered;
  }
  // The next sign() first activates version of name, as another admin would between the moment a
  // request resolved the active version and the moment it signs. Used once.
  void activate_before_next_sign(const std::string& name, unsigned version) {
    std::lock_guard lock(hold_mu_);
    activate_before_sign_ = {name, version};
  }
  unsigned long sign_count() const { return sign_count_; }
  unsigned long signs_started() const { return signs_started_; }
  SharedEvpPkey public_key(const std::string& name) const;

  std::unique_ptr<SigningSession> open_session() override;
  unsigned max_sessions() const override { return max_sessions_; }
  std::vector<KeyInfo> keys() const override;
  std::optional<KeyInfo> key(const std::string& name) const override;
  std::vector<KeyInfo> versions(const std::string& name) const override;
  std::optional<std::string> certificate_pem(const KeyRef& key) const override;
  KeyInfo rotate(const std::string& name, const std::optional<KeyShape>& shape) override;
  KeyInfo rotate_import(const std::string& name, std::string& pem) override;
  KeyInfo activate(const std::string& name, unsigned version) override;
  KeyInfo retire(const std::string& name, unsigned version) override;
  void destroy(const std::string& name, unsigned version) override;
  KeyInfo set_version_settings(const std::string& name, unsigned version,
                               const VersionSettings& settings) override;
  KeyInfo generate_key(const std::string& name, const std::string& label,
                       const KeyShape& shape) override;
  KeyInfo import_key(const std::string& name, const std::string& label, std::string& pem) override;
  std::string make_certificate(const KeyRef& key, const std::string& subject, unsigned days,
                               bool replace) override;
  std::string make_csr(const KeyRef& key, const std::string& subject) override;
  TokenStatus status() const override;
  void set_keys(const std::vector<KeySpec>& specs) override;

  // Used by the fake session.
  Bytes sign(const KeyRef& key, const SignRequest& req, ByteView data);

 private:
  struct TokenKey {
    std::string label;
    std::string id_hex;
    SharedEvpPkey pkey;
    bool extractable = false;
    bool local = true;
    std::optional<std::string> certificate;
    std::string family;  // the label of version 1 of the name this pair is a version of
    unsigned version = 1;
    VersionState state = VersionState::kActive;
    std::string created;
    VersionSettings settings;
  };
  TokenKey make_token_key(const std::string& label, SharedEvpPkey key, bool extractable,
                          bool local) const;
  KeyInfo info_locked(const std::string& name, const TokenKey& k) const;
  // The versions of a name, oldest first; StoreError kNotFound for an unknown name.
  std::vector<TokenKey*> family_locked(const std::string& name);
  std::vector<const TokenKey*> family_locked(const std::string& name) const;
  // Version ref.version of the name, or its active version; kNotFound when there is none.
  TokenKey& version_locked(const KeyRef& ref);
  const TokenKey& version_locked(const KeyRef& ref) const;
  // version_locked(), refusing a key whose fingerprint is not the one ref asks for.
  const TokenKey& admitted_locked(const KeyRef& ref) const;
  void throw_if_down_locked() const;
  KeyInfo add_named(const std::string& name, const std::string& label, SharedEvpPkey key,
                    bool local);
  KeyInfo add_version(const std::string& name, SharedEvpPkey key, bool local);
  void run_activation_switch();

  const std::string token_label_;
  const unsigned max_sessions_;
  mutable std::mutex mu_;
  std::list<TokenKey> token_;                 // the "token" contents
  std::map<std::string, std::string> names_;  // API name -> its family (TokenKey::family)
  std::set<std::string> created_;             // names made by generate_key/import_key
  bool down_ = false;
  std::string down_reason_;
  std::atomic<long> sign_delay_ms_{0};
  std::atomic<bool> open_fails_{false};
  std::atomic<bool> status_fails_{false};
  std::mutex hold_mu_;
  std::shared_future<void> set_keys_gate_;
  std::promise<void>* set_keys_entered_ = nullptr;
  std::optional<std::pair<std::string, unsigned>> activate_before_sign_;
  std::atomic<unsigned long> sign_count_{0};
  std::atomic<unsigned long> signs_started_{0};
};

SharedEvpPkey generate_rsa(unsigned bits);
// A key of shape as the fake token makes it; StoreError kBadInput for an RSA size it refuses.
SharedEvpPkey generate_key_of(const KeyShape& shape);
// A private key PEM read as the fake token imports it; wipes pem. StoreError kBadInput when it is
// not a key the daemon signs with.
SharedEvpPkey read_private_key(std::string& pem);

}  // namespace p11signd::daemon
