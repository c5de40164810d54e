#include "pkcs11/key_registry.h"

#include <openssl/bn.h>

#include "common/encoding.h"
#include "pkcs11/attributes.h"
#include "pkcs11/public_key.h"
#include "pkcs11/rv.h"

namespace p11signd::pkcs11 {
namespace {

std::string describe(const KeySpec& spec) {
  return "key '" + spec.name + "' (" +
         (spec.label.empty() ? "id " + hex_encode(spec.id) : "label '" + spec.label + "'") + ")";
}

CK_OBJECT_HANDLE find_private_key(const Module& module, CK_SESSION_HANDLE session,
                                  const KeySpec& spec) {
  Template query;
  query.add_ulong(CKA_CLASS, CKO_PRIVATE_KEY);
  if (!spec.label.empty()) query.add_string(CKA_LABEL, spec.label);
  if (!spec.id.empty()) query.add_bytes(CKA_ID, spec.id);
  const auto found = find_objects(module, session, query);
  if (found.empty()) {
    throw Error(ErrorCategory::kNotFound, describe(spec) + " has no private key on the token");
  }
  if (found.size() > 1) {
    throw Error(ErrorCategory::kBadInput,
                describe(spec) + " matches " + std::to_string(found.size()) +
                    " private keys on the token; select it by id instead");
  }
  return found.front();
}

void read_public_part(const Module& module, CK_SESSION_HANDLE session, ResolvedKey& key) {
  auto n = read_attribute(module, session, key.private_key, CKA_MODULUS);
  auto e = read_attribute(module, session, key.private_key, CKA_PUBLIC_EXPONENT);
  if (!n || !e || n->empty() || e->empty()) {
    throw Error(ErrorCategory::kBadInput,
                describe(key.spec) + ": the token does not reveal its modulus and public exponent");
  }
  key.modulus = std::move(*n);
  key.public_exponent = std::move(*e);
  auto pkey = rsa_public_key(key.modulus, key.public_exponent);
  key.bits = static_cast<unsigned>(EVP_PKEY_get_bits(pkey.get()));
  key.spki_der = spki_der(pkey.get());
  key.fingerprint_sha256 = spki_fingerprint_sha256(key.spki_der);
}

void check_protection(const ResolvedKey& key) {
  if (key.spec.allow_extractable || (!key.extractable && key.sensitive)) return;
  const std::string what = key.extractable ? "extractable (CKA_EXTRACTABLE is true)"
                                           : "not sensitive (CKA_SENSITIVE is false)";
  throw Error(ErrorCategory::kRefused,
              describe(key.spec) + " is " + what +
                  ", so its private key could leave the token; refusing it. Set "
                  "allow-extractable = true in [key." +
                  key.spec.name + "] to use an imported legacy key anyway");
}

}  // namespace

void validate_spec(const KeySpec& spec) {
  if (spec.name.empty()) throw Error(ErrorCategory::kBadInput, "a key needs a name");
  if (spec.label.empty() == spec.id.empty()) {
    throw Error(ErrorCategory::kBadInput,
                "key '" + spec.name + "' needs exactly one of label and id");
  }
}

ResolvedKey resolve_key(const Module& module, CK_SESSION_HANDLE session, const KeySpec& spec) {
  validate_spec(spec);
  ResolvedKey key;
  key.spec = spec;
  key.private_key = find_private_key(module, session, spec);
  if (read_ulong(module, session, key.private_key, CKA_KEY_TYPE) != CKK_RSA) {
    throw Error(ErrorCategory::kBadInput, describe(spec) + " is not an RSA key");
  }
  if (read_bool(module, session, key.private_key, CKA_SIGN) == false) {
    throw Error(ErrorCategory::kBadInput, describe(spec) + " may not sign (CKA_SIGN is false)");
  }
  auto label = read_attribute(module, session, key.private_key, CKA_LABEL);
  key.label = label ? std::string(as_chars(*label)) : std::string();
  key.id = read_attribute(module, session, key.private_key, CKA_ID).value_or(Bytes{});
  key.local = read_bool(module, session, key.private_key, CKA_LOCAL).value_or(false);
  key.extractable = read_bool(module, session, key.private_key, CKA_EXTRACTABLE).value_or(true);
  key.sensitive = read_bool(module, session, key.private_key, CKA_SENSITIVE).value_or(false);
  key.never_extractable =
      read_bool(module, session, key.private_key, CKA_NEVER_EXTRACTABLE).value_or(false);
  check_protection(key);
  read_public_part(module, session, key);
  return key;
}

Error KeySet::unresolved_error() const {
  std::string all;
  for (const auto& [name, why] : unresolved) all += (all.empty() ? "" : "\n") + why;
  return Error(unresolved_category, all);
}

KeySet resolve_keys(const Module& module, CK_SESSION_HANDLE session,
                    const std::vector<KeySpec>& specs, std::uint64_t epoch) {
  KeySet set;
  set.epoch = epoch;
  for (const auto& spec : specs) {
    try {
      set.keys.emplace(spec.name, resolve_key(module, session, spec));
    } catch (const Error& e) {
      // Token-level failures abort the whole resolution (the caller recovers); key problems are
      // recorded.
      if (e.category() != ErrorCategory::kBadInput && e.category() != ErrorCategory::kRefused &&
          e.category() != ErrorCategory::kNotFound)
        throw;
      set.unresolved_category = set.unresolved.empty() || set.unresolved_category == e.category()
                                    ? e.category()
                                    : ErrorCategory::kBadInput;
      set.unresolved.emplace(spec.name, e.what());
    }
  }
  return set;
}

KeyRegistry::KeyRegistry(std::vector<KeySpec> specs)
    : specs_(std::move(specs)), set_(std::make_shared<KeySet>()) {}

std::vector<KeySpec> KeyRegistry::specs() const {
  std::lock_guard lock(mutex_);
  return specs_;
}

std::shared_ptr<const KeySet> KeyRegistry::snapshot() const {
  std::lock_guard lock(mutex_);
  return set_;
}

void KeyRegistry::publish(std::shared_ptr<const KeySet> set, std::vector<KeySpec> specs) {
  std::lock_guard lock(mutex_);
  set_ = std::move(set);
  specs_ = std::move(specs);
  generation_.fetch_add(1, std::memory_order_acq_rel);
}

void KeyRegistry::publish(std::shared_ptr<const KeySet> set) {
  std::lock_guard lock(mutex_);
  set_ = std::move(set);
  generation_.fetch_add(1, std::memory_order_acq_rel);
}

}  // namespace p11signd::pkcs11
