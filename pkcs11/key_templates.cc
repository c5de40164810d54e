#include "pkcs11/key_templates.h"

#include <openssl/rand.h>

#include "pkcs11/rv.h"

namespace p11signd::pkcs11 {
namespace {

// The only mechanisms the daemon signs with, per key type (signing.cc, token_evp_key.cc): with
// these allowed and no others, a key made here cannot be used for raw RSA (CKM_RSA_X_509), for
// ECDH, or for anything else by whoever else holds a session on the token.
constexpr CK_MECHANISM_TYPE kRsaMechanisms[] = {CKM_SHA256_RSA_PKCS, CKM_RSA_PKCS,
                                                CKM_SHA256_RSA_PKCS_PSS, CKM_RSA_PKCS_PSS,
                                                CKM_SHA512_RSA_PKCS_PSS};
constexpr CK_MECHANISM_TYPE kEcdsaMechanisms[] = {CKM_ECDSA};
constexpr CK_MECHANISM_TYPE kEddsaMechanisms[] = {CKM_EDDSA};

template <std::size_t N>
ByteView mechanism_list(const CK_MECHANISM_TYPE (&list)[N]) {
  return {reinterpret_cast<const std::uint8_t*>(list), sizeof list};
}

ByteView allowed_mechanisms(KeyType type) {
  switch (type) {
    case KeyType::kRsa:
      return mechanism_list(kRsaMechanisms);
    case KeyType::kEcP256:
    case KeyType::kEcP384:
      return mechanism_list(kEcdsaMechanisms);
    case KeyType::kEd25519:
      return mechanism_list(kEddsaMechanisms);
  }
  return {};
}

}  // namespace

Bytes fresh_id() {
  Bytes id(16);
  if (RAND_bytes(id.data(), static_cast<int>(id.size())) != 1) {
    throw Error(ErrorCategory::kPermanent, "OpenSSL could not produce random bytes for a key id");
  }
  return id;
}

void require_label_free(const Module& module, CK_SESSION_HANDLE session, const std::string& label) {
  if (label.empty()) throw Error(ErrorCategory::kBadInput, "a new key needs a label");
  Template query;
  query.add_ulong(CKA_CLASS, CKO_PRIVATE_KEY).add_string(CKA_LABEL, label);
  if (!find_objects(module, session, query).empty()) {
    throw Error(ErrorCategory::kConflict,
                "a private key labelled '" + label + "' already exists on the token");
  }
}

void add_private_key_policy(Template& t, const std::string& label, ByteView id) {
  t.add_bool(CKA_TOKEN, true)
      .add_bool(CKA_PRIVATE, true)
      .add_bool(CKA_SENSITIVE, true)
      .add_bool(CKA_EXTRACTABLE, false)
      .add_bool(CKA_SIGN, true)
      .add_bool(CKA_DECRYPT, false)
      .add_bool(CKA_UNWRAP, false)
      .add_bool(CKA_DERIVE, false)
      .add_string(CKA_LABEL, label)
      .add_bytes(CKA_ID, id);
}

void add_public_key_policy(Template& t, KeyType type, const std::string& label, ByteView id) {
  t.add_bool(CKA_TOKEN, true).add_bool(CKA_PRIVATE, false).add_bool(CKA_VERIFY, true);
  // Encryption and wrapping are RSA uses; an EC public key has neither to switch off.
  if (type == KeyType::kRsa) t.add_bool(CKA_ENCRYPT, false).add_bool(CKA_WRAP, false);
  t.add_string(CKA_LABEL, label).add_bytes(CKA_ID, id);
}

void add_private_key_hardening(Template& t, KeyType type) {
  t.add_bytes(CKA_ALLOWED_MECHANISMS, allowed_mechanisms(type))
      .add_bool(CKA_SIGN_RECOVER, false)
      .add_bool(CKA_MODIFIABLE, false);
}

void add_public_key_hardening(Template& t) { t.add_bool(CKA_MODIFIABLE, false); }

bool template_refused(CK_RV rv) {
  return rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_ATTRIBUTE_VALUE_INVALID ||
         rv == CKR_TEMPLATE_INCONSISTENT || rv == CKR_ATTRIBUTE_READ_ONLY;
}

KeySpec spec_for(const std::string& name, ByteView id) {
  KeySpec spec;
  spec.name = name;
  spec.id.assign(id.begin(), id.end());
  return spec;
}

}  // namespace p11signd::pkcs11
