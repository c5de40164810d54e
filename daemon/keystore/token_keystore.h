#pragma once
// The real KeyStore: the daemon's view of a pkcs11::Token. The one place where token errors become
// the daemon's StoreError kinds (and so HTTP statuses).

#include <memory>
#include <mutex>

#include "daemon/keystore/keystore.h"
#include "pkcs11/token.h"

namespace p11signd::daemon {

class TokenKeyStore final : public KeyStore {
 public:
  explicit TokenKeyStore(std::unique_ptr<pkcs11::Token> token);
  ~TokenKeyStore() override;

  std::unique_ptr<SigningSession> open_session() override;
  unsigned max_sessions() const override;
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

  pkcs11::Token& token() { return *token_; }

 private:
  KeyInfo version_info(const std::string& name, unsigned number) const;
  KeyInfo add_created_key(const pkcs11::KeySpec& spec);
  void require_new_name(const std::string& name) const;

  std::unique_ptr<pkcs11::Token> token_;
  // The store's admin lock. Held from the name check to the key's publication: two requests for
  // one name cannot both create an object on the token; and around every version change.
  std::mutex create_mutex_;
};

// Maps a token error to the daemon's kinds: not found -> kNotFound, conflict -> kConflict, refused
// -> kDenied, bad input -> kBadInput, every token/session/login failure -> kUnavailable, the rest
// -> kInternal.
StoreError to_store_error(const pkcs11::Error& e);

// The token-side KeySpec for a configured one (hex id decoded). Throws StoreError(kBadInput) on bad
// hex.
pkcs11::KeySpec to_token_spec(const KeySpec& spec);

}  // namespace p11signd::daemon
