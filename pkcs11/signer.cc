#include "pkcs11/signer.h"

#include <algorithm>

#include "pkcs11/signing.h"
#include "pkcs11/version_resolution.h"

namespace p11signd::pkcs11 {

Signer::Signer(Token& token) : token_(token) { token_.acquire_session_slot(); }

Signer::~Signer() {
  {
    // Closing touches the module: only while it is not being repaired or re-initialised.
    try {
      auto guard = token_.enter();
      if (guard.epoch() == session_epoch_) session_.close();
    } catch (const Error&) {
    }
    session_.handle_lost();
  }
  token_.release_session_slot();
}

// Called inside a guard: forgets a session of an older epoch and picks up a newer key snapshot.
void Signer::refresh(std::uint64_t epoch) {
  if (session_epoch_ != epoch) {
    session_.handle_lost();  // closed by the repair; the number may be someone else's now
    session_epoch_ = epoch;
  }
  const auto generation = token_.keys().generation();
  if (!keys_ || keys_generation_ != generation) {
    keys_ = token_.keys().snapshot();
    keys_generation_ = generation;
  }
  if (!session_.is_open()) session_ = Session(token_.module(), token_.slot(), /*rw=*/false);
}

namespace {

bool has_version_with(const std::vector<KeyVersion>& versions, const std::string& fingerprint) {
  return std::any_of(versions.begin(), versions.end(),
                     [&](const KeyVersion& v) { return v.key.fingerprint_sha256 == fingerprint; });
}

const ResolvedKey& pinned_version(const std::vector<KeyVersion>& versions, const std::string& name,
                                  unsigned number) {
  for (const auto& v : versions) {
    if (v.number != number) continue;
    if (v.state != VersionState::kActive) {
      throw Error(ErrorCategory::kNotActive, describe_version(name, number) + " is " +
                                                 std::string(to_string(v.state)) +
                                                 ", no longer the active version");
    }
    return v.key;
  }
  throw Error(ErrorCategory::kNotFound,
              "key '" + name + "' has no version " + std::to_string(number));
}

}  // namespace

const ResolvedKey& Signer::key(const Wanted& wanted) {
  auto it = keys_->keys.find(wanted.name);
  if (it == keys_->keys.end()) {
    auto bad = keys_->unresolved.find(wanted.name);
    if (bad != keys_->unresolved.end()) throw Error(ErrorCategory::kNotFound, bad->second);
    throw Error(ErrorCategory::kNotFound, "unknown key '" + wanted.name + "'");
  }
  const auto& versions = keys_->versions.at(wanted.name);
  if (!wanted.fingerprint.empty() && !has_version_with(versions, wanted.fingerprint)) {
    throw Error(ErrorCategory::kConflict,
                "key '" + wanted.name +
                    "' was given another key by a reload after this request was admitted; send "
                    "it again");
  }
  if (!wanted.version) return it->second;
  return pinned_version(versions, wanted.name, *wanted.version);
}

template <typename Op>
Bytes Signer::run(const Wanted& wanted, Op&& op) {
  for (int attempt = 0;; ++attempt) {
    auto guard = token_.enter();
    try {
      refresh(guard.epoch());
      return op(session_.handle(), key(wanted));
    } catch (const Error& e) {
      const auto epoch = guard.epoch();
      if (e.category() == ErrorCategory::kSessionLost) {
        session_.handle_lost();
      } else if (e.rv() != CKR_OK) {
        session_.close();  // a session that returned an error is replaced
      }
      guard.release();
      if (attempt > 0 || !is_recoverable(e.category())) throw;
      token_.recover(e, epoch);
    }
  }
}

Bytes Signer::sign(const std::string& key_name, const SignRequest& request, ByteView data,
                   const std::string& fingerprint, std::optional<unsigned> version) {
  return run(
      {key_name, fingerprint, version}, [&](CK_SESSION_HANDLE session, const ResolvedKey& key) {
        return sign_message(token_.module(), session, key, token_.mechanisms(), request, data);
      });
}

}  // namespace p11signd::pkcs11
