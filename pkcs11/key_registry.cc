#include "pkcs11/key_registry.h"

#include <openssl/bn.h>

#include <algorithm>
#include <cstring>

#include "common/encoding.h"
#include "common/key_shape.h"
#include "pkcs11/attributes.h"
#include "pkcs11/ec_params.h"
#include "pkcs11/public_key.h"
#include "pkcs11/rv.h"
#include "pkcs11/version_resolution.h"

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

void publish_public_key(ResolvedKey& key, EVP_PKEY* pkey) {
  key.spki_der = spki_der(pkey);
  key.fingerprint_sha256 = spki_fingerprint_sha256(key.spki_der);
}

void read_rsa_public_part(const Module& module, CK_SESSION_HANDLE session, ResolvedKey& key) {
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
  key.signature_len = key.modulus.size();
  publish_public_key(key, pkey.get());
}

// A PKCS#11 private EC key holds its curve but not its point: the point is on the public key object
// that shares its CKA_ID (or, for a key without an id, its label).
CK_OBJECT_HANDLE find_public_key(const Module& module, CK_SESSION_HANDLE session,
                                 const ResolvedKey& key, CK_KEY_TYPE key_type) {
  Template query;
  query.add_ulong(CKA_CLASS, CKO_PUBLIC_KEY).add_ulong(CKA_KEY_TYPE, key_type);
  if (!key.id.empty()) {
    query.add_bytes(CKA_ID, key.id);
  } else {
    query.add_string(CKA_LABEL, key.label);
  }
  const auto found = find_objects(module, session, query);
  if (found.size() != 1) {
    throw Error(ErrorCategory::kBadInput,
                describe(key.spec) + ": " +
                    (found.empty() ? std::string("the token holds no public key object")
                                   : std::to_string(found.size()) + " public key objects") +
                    " with its " + (key.id.empty() ? "label" : "id") +
                    ", and a private EC key does not carry its public point");
  }
  return found.front();
}

void read_ec_public_part(const Module& module, CK_SESSION_HANDLE session, ResolvedKey& key,
                         CK_KEY_TYPE key_type) {
  const auto params = read_attribute(module, session, key.private_key, CKA_EC_PARAMS);
  const auto type = params ? key_type_of_ec_params(*params) : std::nullopt;
  if (!type) {
    throw Error(ErrorCategory::kBadInput,
                describe(key.spec) + " is on a curve other than P-256, P-384 and Ed25519");
  }
  key.type = *type;
  const CK_OBJECT_HANDLE pub = find_public_key(module, session, key, key_type);
  const auto point_attr = read_attribute(module, session, pub, CKA_EC_POINT);
  const auto point = point_attr ? unwrap_ec_point(key.type, *point_attr) : std::nullopt;
  if (!point) {
    throw Error(ErrorCategory::kBadInput, describe(key.spec) +
                                              ": the token's CKA_EC_POINT is not a " +
                                              std::string(to_string(key.type)) + " point");
  }
  auto pkey = ec_public_key(key.type, *point);
  key.bits = curve_bits(key.type);
  key.signature_len = key.type == KeyType::kEd25519 ? 64 : 2 * ecdsa_half_len(key.type);
  publish_public_key(key, pkey.get());
}

std::vector<CK_MECHANISM_TYPE> read_allowed_mechanisms(const Module& module,
                                                       CK_SESSION_HANDLE session,
                                                       CK_OBJECT_HANDLE object) {
  const auto raw = read_attribute(module, session, object, CKA_ALLOWED_MECHANISMS);
  std::vector<CK_MECHANISM_TYPE> out;
  // An empty list is a valid answer; memcpy must not see its null data pointer.
  if (!raw || raw->size() < sizeof(CK_MECHANISM_TYPE)) return out;
  out.resize(raw->size() / sizeof(CK_MECHANISM_TYPE));
  std::memcpy(out.data(), raw->data(), out.size() * sizeof(CK_MECHANISM_TYPE));
  return out;
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
  const auto key_type = read_ulong(module, session, key.private_key, CKA_KEY_TYPE);
  if (key_type != CKK_RSA && key_type != CKK_EC && key_type != CKK_EC_EDWARDS) {
    throw Error(ErrorCategory::kBadInput,
                describe(spec) + " is not an RSA, EC (P-256, P-384) or Ed25519 key");
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
  key.allowed_mechanisms = read_allowed_mechanisms(module, session, key.private_key);
  check_protection(key);
  if (key_type == CKK_RSA) {
    read_rsa_public_part(module, session, key);
  } else {
    read_ec_public_part(module, session, key, *key_type);
  }
  return key;
}

bool mechanism_allowed(const ResolvedKey& key, CK_MECHANISM_TYPE mechanism) {
  return key.allowed_mechanisms.empty() ||
         std::find(key.allowed_mechanisms.begin(), key.allowed_mechanisms.end(), mechanism) !=
             key.allowed_mechanisms.end();
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
  const RecordsOnToken records = read_version_records(module, session);
  for (const auto& spec : specs) {
    try {
      put_versions(set, module, session, spec, records);
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
