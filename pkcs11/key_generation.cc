#include "pkcs11/key_generation.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "pkcs11/attributes.h"
#include "pkcs11/public_key.h"
#include "pkcs11/rv.h"

namespace p11signd::pkcs11 {
namespace {

constexpr std::uint8_t kF4[] = {0x01, 0x00, 0x01};  // public exponent 65537

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

// The same private key twice on the token (under two labels) would be two objects for one key:
// signatures by either name, one revocation missing the other. The modulus identifies it.
void require_key_new(const Module& module, CK_SESSION_HANDLE session, const Bytes& modulus) {
  Template query;
  query.add_ulong(CKA_CLASS, CKO_PRIVATE_KEY)
      .add_ulong(CKA_KEY_TYPE, CKK_RSA)
      .add_bytes(CKA_MODULUS, modulus);
  const auto found = find_objects(module, session, query);
  if (found.empty()) return;
  const auto label = read_attribute(module, session, found.front(), CKA_LABEL);
  throw Error(ErrorCategory::kConflict,
              "this private key is already on the token, labelled '" +
                  (label ? std::string(label->begin(), label->end()) : std::string()) + "'");
}

// Attributes both kinds of new private key share: stored, private, sensitive, never extractable,
// sign only.
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

// The only mechanisms the daemon signs with (signing.cc, token_evp_key.cc): with these allowed and
// no others, a key made here cannot be used for raw RSA (CKM_RSA_X_509) or anything else by
// whoever else holds a session on the token.
constexpr CK_MECHANISM_TYPE kSigningMechanisms[] = {CKM_SHA256_RSA_PKCS, CKM_RSA_PKCS,
                                                    CKM_SHA256_RSA_PKCS_PSS, CKM_RSA_PKCS_PSS};

// What a token may not know (CKA_ALLOWED_MECHANISMS is PKCS#11 2.40) or may refuse: asked for,
// and left out again with a log line when the token rejects the template (create_object()).
void add_private_key_hardening(Template& t) {
  t.add_bytes(CKA_ALLOWED_MECHANISMS,
              ByteView(reinterpret_cast<const std::uint8_t*>(kSigningMechanisms),
                       sizeof kSigningMechanisms))
      .add_bool(CKA_SIGN_RECOVER, false)
      .add_bool(CKA_MODIFIABLE, false);
}

void add_public_key_hardening(Template& t) { t.add_bool(CKA_MODIFIABLE, false); }

// The codes a token answers for an attribute it does not support or will not set at creation.
bool template_refused(CK_RV rv) {
  return rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_ATTRIBUTE_VALUE_INVALID ||
         rv == CKR_TEMPLATE_INCONSISTENT || rv == CKR_ATTRIBUTE_READ_ONLY;
}

// Runs create(true) (hardened template); when the token refuses that template, says so in the log
// and runs create(false). Throws Error for any other failure.
template <typename Create>
void create_hardened(const Module& module, std::string_view function, const std::string& label,
                     Create create) {
  CK_RV rv = create(true);
  if (template_refused(rv)) {
    module.log(std::string("pkcs11: ") + std::string(function) + " refused " + rv_name(rv) +
               " for key '" + label +
               "' with CKA_ALLOWED_MECHANISMS, CKA_SIGN_RECOVER = false and CKA_MODIFIABLE = "
               "false; trying without them (the token's defaults apply)");
    rv = create(false);
  }
  if (rv != CKR_OK) module.fail(function, rv);
}

void add_public_key_policy(Template& t, const std::string& label, ByteView id) {
  t.add_bool(CKA_TOKEN, true)
      .add_bool(CKA_PRIVATE, false)
      .add_bool(CKA_VERIFY, true)
      .add_bool(CKA_ENCRYPT, false)
      .add_bool(CKA_WRAP, false)
      .add_string(CKA_LABEL, label)
      .add_bytes(CKA_ID, id);
}

KeySpec spec_for(const std::string& name, ByteView id) {
  KeySpec spec;
  spec.name = name;
  spec.id.assign(id.begin(), id.end());
  return spec;
}

}  // namespace

KeySpec generate_key(Token& token, const std::string& name, const NewKey& key, unsigned bits) {
  if (bits != 2048 && bits != 3072 && bits != 4096) {
    throw Error(ErrorCategory::kBadInput,
                "RSA key size must be 2048, 3072 or 4096 bits, not " + std::to_string(bits));
  }
  const Bytes id = key.id.empty() ? fresh_id() : key.id;
  token.with_admin_session([&](const Module& module, CK_SESSION_HANDLE session) {
    require_label_free(module, session, key.label);
    create_hardened(module, "C_GenerateKeyPair", key.label, [&](bool hardened) {
      Template pub, priv;
      add_public_key_policy(pub, key.label, id);
      pub.add_ulong(CKA_MODULUS_BITS, bits).add_bytes(CKA_PUBLIC_EXPONENT, kF4);
      add_private_key_policy(priv, key.label, id);
      if (hardened) {
        add_public_key_hardening(pub);
        add_private_key_hardening(priv);
      }
      CK_MECHANISM mech{CKM_RSA_PKCS_KEY_PAIR_GEN, nullptr, 0};
      CK_OBJECT_HANDLE pub_handle = CK_INVALID_HANDLE, priv_handle = CK_INVALID_HANDLE;
      return module.call_rv(&CK_FUNCTION_LIST::C_GenerateKeyPair, session, &mech, pub.data(),
                            pub.size(), priv.data(), priv.size(), &pub_handle, &priv_handle);
    });
    return 0;
  });
  return spec_for(name, id);
}

namespace {

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};

EvpPkeyPtr parse_private_pem(const Secret& pem) {
  std::unique_ptr<BIO, BioDeleter> bio(
      BIO_new_mem_buf(pem.view().data(), static_cast<int>(pem.view().size())));
  // An encrypted PEM would ask for a passphrase; the empty callback makes it fail instead of
  // prompting.
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(
      bio.get(), nullptr, [](char*, int, int, void*) { return 0; }, nullptr));
  ERR_clear_error();
  if (!key) {
    throw Error(ErrorCategory::kBadInput,
                "the PEM is not an unencrypted RSA private key (PKCS#8 or PKCS#1)");
  }
  if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA) {
    throw Error(ErrorCategory::kBadInput, "the PEM holds a private key that is not RSA");
  }
  const int bits = EVP_PKEY_get_bits(key.get());
  if (bits < 2048) {
    throw Error(ErrorCategory::kBadInput,
                "the RSA key has " + std::to_string(bits) + " bits; at least 2048 are required");
  }
  return key;
}

// Big-endian bytes of one RSA component; the caller's Template wipes its copy, this wipes the
// BIGNUM.
Bytes component(EVP_PKEY* key, const char* name) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) {
    throw Error(ErrorCategory::kBadInput, std::string("the RSA key lacks its ") + name);
  }
  Bytes out(static_cast<std::size_t>(BN_num_bytes(bn)));
  BN_bn2bin(bn, out.data());
  BN_clear_free(bn);
  return out;
}

void add_component(Template& t, CK_ATTRIBUTE_TYPE type, EVP_PKEY* key, const char* name) {
  Bytes value = component(key, name);
  t.add_bytes(type, value);
  OPENSSL_cleanse(value.data(), value.size());
}

}  // namespace

KeySpec import_key(Token& token, const std::string& name, const NewKey& key, Secret pem) {
  EvpPkeyPtr pkey = parse_private_pem(pem);
  pem.wipe();
  const Bytes id = key.id.empty() ? fresh_id() : key.id;
  const Bytes modulus = component(pkey.get(), OSSL_PKEY_PARAM_RSA_N);  // public: no wipe needed
  // Both forms of each template are made now, so that the key material is freed before the token
  // is touched; the Templates wipe their copies.
  Template priv[2], pub[2];  // [0] plain, [1] hardened
  for (int hardened = 0; hardened < 2; ++hardened) {
    Template& pr = priv[hardened];
    add_private_key_policy(pr, key.label, id);
    pr.add_ulong(CKA_CLASS, CKO_PRIVATE_KEY).add_ulong(CKA_KEY_TYPE, CKK_RSA);
    pr.add_bytes(CKA_MODULUS, modulus);
    add_component(pr, CKA_PUBLIC_EXPONENT, pkey.get(), OSSL_PKEY_PARAM_RSA_E);
    add_component(pr, CKA_PRIVATE_EXPONENT, pkey.get(), OSSL_PKEY_PARAM_RSA_D);
    add_component(pr, CKA_PRIME_1, pkey.get(), OSSL_PKEY_PARAM_RSA_FACTOR1);
    add_component(pr, CKA_PRIME_2, pkey.get(), OSSL_PKEY_PARAM_RSA_FACTOR2);
    add_component(pr, CKA_EXPONENT_1, pkey.get(), OSSL_PKEY_PARAM_RSA_EXPONENT1);
    add_component(pr, CKA_EXPONENT_2, pkey.get(), OSSL_PKEY_PARAM_RSA_EXPONENT2);
    add_component(pr, CKA_COEFFICIENT, pkey.get(), OSSL_PKEY_PARAM_RSA_COEFFICIENT1);
    Template& pu = pub[hardened];
    add_public_key_policy(pu, key.label, id);
    pu.add_ulong(CKA_CLASS, CKO_PUBLIC_KEY).add_ulong(CKA_KEY_TYPE, CKK_RSA);
    pu.add_bytes(CKA_MODULUS, modulus);
    add_component(pu, CKA_PUBLIC_EXPONENT, pkey.get(), OSSL_PKEY_PARAM_RSA_E);
    if (hardened) {
      add_private_key_hardening(pr);
      add_public_key_hardening(pu);
    }
  }
  pkey.reset();  // OpenSSL clears RSA key material when it frees it

  token.with_admin_session([&](const Module& module, CK_SESSION_HANDLE session) {
    require_label_free(module, session, key.label);
    require_key_new(module, session, modulus);
    CK_OBJECT_HANDLE priv_handle = CK_INVALID_HANDLE, pub_handle = CK_INVALID_HANDLE;
    create_hardened(module, "C_CreateObject", key.label, [&](bool hardened) {
      Template& t = priv[hardened ? 1 : 0];
      return module.call_rv(&CK_FUNCTION_LIST::C_CreateObject, session, t.data(), t.size(),
                            &priv_handle);
    });
    try {
      create_hardened(module, "C_CreateObject", key.label, [&](bool hardened) {
        Template& t = pub[hardened ? 1 : 0];
        return module.call_rv(&CK_FUNCTION_LIST::C_CreateObject, session, t.data(), t.size(),
                              &pub_handle);
      });
    } catch (...) {
      // Nothing half-done: without its public key object the import did not happen.
      module.call_rv(&CK_FUNCTION_LIST::C_DestroyObject, session, priv_handle);
      throw;
    }
    return 0;
  });
  return spec_for(name, id);
}

}  // namespace p11signd::pkcs11
