#include "pkcs11/key_generation.h"

#include "pkcs11/ec_params.h"
#include "pkcs11/key_templates.h"
#include "pkcs11/rv.h"

namespace p11signd::pkcs11 {
namespace {

constexpr std::uint8_t kF4[] = {0x01, 0x00, 0x01};  // public exponent 65537

void check_shape(const KeyShape& shape) {
  if (shape.type == KeyType::kRsa && shape.bits != 2048 && shape.bits != 3072 &&
      shape.bits != 4096) {
    throw Error(ErrorCategory::kBadInput,
                "RSA key size must be 2048, 3072 or 4096 bits, not " + std::to_string(shape.bits));
  }
}

// The key pair mechanism and the public template's shape: the modulus for RSA, the curve's OID
// (CKA_EC_PARAMS) for EC and Ed25519.
CK_MECHANISM_TYPE add_shape(Template& pub, const KeyShape& shape) {
  switch (shape.type) {
    case KeyType::kRsa:
      pub.add_ulong(CKA_MODULUS_BITS, shape.bits).add_bytes(CKA_PUBLIC_EXPONENT, kF4);
      return CKM_RSA_PKCS_KEY_PAIR_GEN;
    case KeyType::kEcP256:
    case KeyType::kEcP384:
      pub.add_bytes(CKA_EC_PARAMS, ec_params_der(shape.type));
      return CKM_EC_KEY_PAIR_GEN;
    case KeyType::kEd25519:
      pub.add_bytes(CKA_EC_PARAMS, ec_params_der(shape.type));
      return CKM_EC_EDWARDS_KEY_PAIR_GEN;
  }
  throw Error(ErrorCategory::kBadInput, "unknown key type");
}

}  // namespace

void generate_key_pair(const Module& module, CK_SESSION_HANDLE session, const NewKey& key,
                       const KeyShape& shape) {
  check_shape(shape);
  require_label_free(module, session, key.label);
  create_hardened(module, "C_GenerateKeyPair", key.label, [&](bool hardened) {
    Template pub, priv;
    add_public_key_policy(pub, shape.type, key.label, key.id);
    CK_MECHANISM mech{add_shape(pub, shape), nullptr, 0};
    add_private_key_policy(priv, key.label, key.id);
    if (hardened) {
      add_public_key_hardening(pub);
      add_private_key_hardening(priv, shape.type);
    }
    CK_OBJECT_HANDLE pub_handle = CK_INVALID_HANDLE, priv_handle = CK_INVALID_HANDLE;
    return module.call_rv(&CK_FUNCTION_LIST::C_GenerateKeyPair, session, &mech, pub.data(),
                          pub.size(), priv.data(), priv.size(), &pub_handle, &priv_handle);
  });
}

KeySpec generate_key(Token& token, const std::string& name, const NewKey& key,
                     const KeyShape& shape) {
  check_shape(shape);
  const Bytes id = key.id.empty() ? fresh_id() : key.id;
  token.with_admin_session([&](const Module& module, CK_SESSION_HANDLE session) {
    generate_key_pair(module, session, {key.label, id}, shape);
    return 0;
  });
  return spec_for(name, id);
}

}  // namespace p11signd::pkcs11
