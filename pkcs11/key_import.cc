// import_key (key_generation.h): a PEM private key copied into the token, then wiped here.
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "pkcs11/ec_params.h"
#include "pkcs11/key_generation.h"
#include "pkcs11/key_templates.h"
#include "pkcs11/public_key.h"
#include "pkcs11/rv.h"

namespace p11signd::pkcs11 {
namespace {

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};

constexpr const char* kWhatIsImported =
    "an unencrypted RSA (PKCS#8 or PKCS#1), EC P-256/P-384 (PKCS#8 or SEC1) or Ed25519 (PKCS#8) "
    "private key";

EvpPkeyPtr parse_private_pem(const Secret& pem) {
  std::unique_ptr<BIO, BioDeleter> bio(
      BIO_new_mem_buf(pem.view().data(), static_cast<int>(pem.view().size())));
  // An encrypted PEM would ask for a passphrase; the empty callback makes it fail instead of
  // prompting.
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(
      bio.get(), nullptr, [](char*, int, int, void*) { return 0; }, nullptr));
  ERR_clear_error();
  if (!key) throw Error(ErrorCategory::kBadInput, std::string("the PEM is not ") + kWhatIsImported);
  const auto type = key_type_of(key.get());
  if (!type) {
    throw Error(ErrorCategory::kBadInput,
                std::string("the PEM holds a private key that is not ") + kWhatIsImported);
  }
  const int bits = EVP_PKEY_get_bits(key.get());
  if (*type == KeyType::kRsa && bits < 2048) {
    throw Error(ErrorCategory::kBadInput,
                "the RSA key has " + std::to_string(bits) + " bits; at least 2048 are required");
  }
  return key;
}

// Big-endian bytes of one private key component (padded to pad bytes when pad is not 0); the
// caller's Template wipes its copy, this wipes the BIGNUM.
Bytes component(EVP_PKEY* key, const char* name, int pad = 0) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) {
    throw Error(ErrorCategory::kBadInput, std::string("the private key lacks its ") + name);
  }
  Bytes out(static_cast<std::size_t>(pad != 0 ? pad : BN_num_bytes(bn)));
  const int written = BN_bn2binpad(bn, out.data(), static_cast<int>(out.size()));
  BN_clear_free(bn);
  if (written < 0)
    throw Error(ErrorCategory::kBadInput, std::string("the key's ") + name + " is too long");
  return out;
}

void add_component(Template& t, CK_ATTRIBUTE_TYPE type, EVP_PKEY* key, const char* name,
                   int pad = 0) {
  Bytes value = component(key, name, pad);
  t.add_bytes(type, value);
  OPENSSL_cleanse(value.data(), value.size());
}

void add_rsa_material(Template& priv, Template& pub, EVP_PKEY* key, ByteView modulus) {
  priv.add_bytes(CKA_MODULUS, modulus);
  add_component(priv, CKA_PUBLIC_EXPONENT, key, OSSL_PKEY_PARAM_RSA_E);
  add_component(priv, CKA_PRIVATE_EXPONENT, key, OSSL_PKEY_PARAM_RSA_D);
  add_component(priv, CKA_PRIME_1, key, OSSL_PKEY_PARAM_RSA_FACTOR1);
  add_component(priv, CKA_PRIME_2, key, OSSL_PKEY_PARAM_RSA_FACTOR2);
  add_component(priv, CKA_EXPONENT_1, key, OSSL_PKEY_PARAM_RSA_EXPONENT1);
  add_component(priv, CKA_EXPONENT_2, key, OSSL_PKEY_PARAM_RSA_EXPONENT2);
  add_component(priv, CKA_COEFFICIENT, key, OSSL_PKEY_PARAM_RSA_COEFFICIENT1);
  pub.add_bytes(CKA_MODULUS, modulus);
  add_component(pub, CKA_PUBLIC_EXPONENT, key, OSSL_PKEY_PARAM_RSA_E);
}

// The public point as CKA_EC_POINT carries it (DER-wrapped): for EC the uncompressed point, for
// Ed25519 its 32 bytes.
Bytes ec_point_attribute(EVP_PKEY* key, KeyType type) {
  Bytes point(type == KeyType::kEd25519 ? 32 : 1 + 2 * ecdsa_half_len(type));
  std::size_t len = point.size();
  const bool ok =
      type == KeyType::kEd25519
          ? EVP_PKEY_get_raw_public_key(key, point.data(), &len) == 1
          : (EVP_PKEY_set_utf8_string_param(key, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                            "uncompressed") == 1 &&
             EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                             point.size(), &len) == 1);
  if (!ok || len != point.size()) {
    ERR_clear_error();
    throw Error(ErrorCategory::kBadInput, "cannot read the key's public point");
  }
  return wrap_ec_point(point);
}

// CKA_VALUE of a private EC key: the scalar d, padded to the curve's size; of an Ed25519 key, the
// 32-byte private key of RFC 8032.
void add_ec_private_value(Template& priv, EVP_PKEY* key, KeyType type) {
  if (type != KeyType::kEd25519) {
    add_component(priv, CKA_VALUE, key, OSSL_PKEY_PARAM_PRIV_KEY,
                  static_cast<int>(ecdsa_half_len(type)));
    return;
  }
  Bytes value(32);
  std::size_t len = value.size();
  const bool ok = EVP_PKEY_get_raw_private_key(key, value.data(), &len) == 1 && len == 32;
  if (ok) priv.add_bytes(CKA_VALUE, value);
  OPENSSL_cleanse(value.data(), value.size());
  if (!ok) throw Error(ErrorCategory::kBadInput, "cannot read the Ed25519 private key");
}

void add_ec_material(Template& priv, Template& pub, EVP_PKEY* key, KeyType type,
                     ByteView point_attribute) {
  const Bytes params = ec_params_der(type);
  priv.add_bytes(CKA_EC_PARAMS, params);
  add_ec_private_value(priv, key, type);
  pub.add_bytes(CKA_EC_PARAMS, params).add_bytes(CKA_EC_POINT, point_attribute);
}

// The same private key twice on the token (under two labels) would be two objects for one key:
// signatures by either name, one revocation missing the other. The modulus identifies an RSA key;
// the public point (on the public key object: a private EC key does not carry it) an EC one.
void require_key_new(const Module& module, CK_SESSION_HANDLE session, KeyType type,
                     ByteView public_value) {
  Template query;
  if (type == KeyType::kRsa) {
    query.add_ulong(CKA_CLASS, CKO_PRIVATE_KEY).add_bytes(CKA_MODULUS, public_value);
  } else {
    query.add_ulong(CKA_CLASS, CKO_PUBLIC_KEY).add_bytes(CKA_EC_POINT, public_value);
  }
  query.add_ulong(CKA_KEY_TYPE, ck_key_type(type));
  const auto found = find_objects(module, session, query);
  if (found.empty()) return;
  const auto label = read_attribute(module, session, found.front(), CKA_LABEL);
  throw Error(ErrorCategory::kConflict,
              "this private key is already on the token, labelled '" +
                  (label ? std::string(label->begin(), label->end()) : std::string()) + "'");
}

void create_object(const Module& module, CK_SESSION_HANDLE session, const std::string& label,
                   Template (&forms)[2], CK_OBJECT_HANDLE& handle) {
  create_hardened(module, "C_CreateObject", label, [&](bool hardened) {
    Template& t = forms[hardened ? 1 : 0];
    return module.call_rv(&CK_FUNCTION_LIST::C_CreateObject, session, t.data(), t.size(), &handle);
  });
}

}  // namespace

KeyToImport::KeyToImport(Secret pem) : key_(parse_private_pem(pem)) {
  pem.wipe();
  type_ = *key_type_of(key_.get());
}

KeyToImport::~KeyToImport() = default;

void KeyToImport::create(const Module& module, CK_SESSION_HANDLE session, const NewKey& key) {
  // What identifies the key on the token: the modulus or CKA_EC_POINT (public: no wipe needed).
  const Bytes public_value = type_ == KeyType::kRsa ? component(key_.get(), OSSL_PKEY_PARAM_RSA_N)
                                                    : ec_point_attribute(key_.get(), type_);
  Template priv[2], pub[2];  // [0] plain, [1] hardened; each wipes its copy of the key
  for (int hardened = 0; hardened < 2; ++hardened) {
    Template& pr = priv[hardened];
    Template& pu = pub[hardened];
    add_private_key_policy(pr, key.label, key.id);
    pr.add_ulong(CKA_CLASS, CKO_PRIVATE_KEY).add_ulong(CKA_KEY_TYPE, ck_key_type(type_));
    add_public_key_policy(pu, type_, key.label, key.id);
    pu.add_ulong(CKA_CLASS, CKO_PUBLIC_KEY).add_ulong(CKA_KEY_TYPE, ck_key_type(type_));
    if (type_ == KeyType::kRsa) {
      add_rsa_material(pr, pu, key_.get(), public_value);
    } else {
      add_ec_material(pr, pu, key_.get(), type_, public_value);
    }
    if (hardened) {
      add_private_key_hardening(pr, type_);
      add_public_key_hardening(pu);
    }
  }
  require_label_free(module, session, key.label);
  require_key_new(module, session, type_, public_value);
  CK_OBJECT_HANDLE priv_handle = CK_INVALID_HANDLE, pub_handle = CK_INVALID_HANDLE;
  create_object(module, session, key.label, priv, priv_handle);
  try {
    create_object(module, session, key.label, pub, pub_handle);
  } catch (...) {
    // Nothing half-done: without its public key object the import did not happen.
    module.call_rv(&CK_FUNCTION_LIST::C_DestroyObject, session, priv_handle);
    throw;
  }
}

KeySpec import_key(Token& token, const std::string& name, const NewKey& key, Secret pem) {
  KeyToImport parsed(std::move(pem));
  const Bytes id = key.id.empty() ? fresh_id() : key.id;
  token.with_admin_session([&](const Module& module, CK_SESSION_HANDLE session) {
    parsed.create(module, session, {key.label, id});
    return 0;
  });
  return spec_for(name, id);
}

}  // namespace p11signd::pkcs11
