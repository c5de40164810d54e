#pragma once
// A Signer is one worker's handle on the token: it owns one session (opened lazily, replaced after
// any error) and a cached snapshot of the keys. sign() makes no lock and no libp11 call on the hot
// path: an atomic in-flight count and two atomic loads are all it shares with other threads. One
// Signer per thread; it is not thread safe.

#include <memory>
#include <optional>
#include <string>

#include "common/bytes.h"
#include "common/sign_alg.h"
#include "pkcs11/token.h"

namespace p11signd::pkcs11 {

class Signer final {
 public:
  // Takes one of the token's session slots; throws Error(kUnavailable) when all are taken.
  explicit Signer(Token& token);
  ~Signer();
  Signer(const Signer&) = delete;
  Signer& operator=(const Signer&) = delete;

  // Signs with the named key. Session, login and handle failures are repaired and the signature
  // retried once; bad input and refusals are not retried. Throws Error. With fingerprint set (the
  // SHA-256 of the SPKI the caller checked its access rule for), a name that now stands for
  // another key is refused with kConflict: a reload gave it another key in between. Any version
  // of the name counts as the name's key: an activation is not a reload.
  // Without version the name's active version signs; with it, that version signs only if it is
  // the active one in the snapshot its handle comes from (kNotActive otherwise, kNotFound when
  // the name has no such version).
  Bytes sign(const std::string& key_name, const SignRequest& request, ByteView data,
             const std::string& fingerprint = {}, std::optional<unsigned> version = {});

 private:
  struct Wanted {
    const std::string& name;
    const std::string& fingerprint;
    std::optional<unsigned> version;
  };
  template <typename Op>
  Bytes run(const Wanted& wanted, Op&& op);
  const ResolvedKey& key(const Wanted& wanted);
  void refresh(std::uint64_t epoch);

  Token& token_;
  Session session_;
  std::uint64_t session_epoch_ = 0;
  std::shared_ptr<const KeySet> keys_;
  std::uint64_t keys_generation_ = 0;
};

}  // namespace p11signd::pkcs11
