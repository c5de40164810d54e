#include "pkcs11/certificate.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <utility>

#include "pkcs11/attributes.h"
#include "pkcs11/tbs_signing.h"
#include "pkcs11/token_evp_key.h"

namespace p11signd::pkcs11 {
namespace {

struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};
struct ReqDeleter {
  void operator()(X509_REQ* r) const { X509_REQ_free(r); }
};
struct NameDeleter {
  void operator()(X509_NAME* n) const { X509_NAME_free(n); }
};
struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
using NamePtr = std::unique_ptr<X509_NAME, NameDeleter>;

// Splits "CN=a,O=b" (backslash escapes a comma) or "/CN=a/O=b" into an X509_NAME.
NamePtr parse_subject(const std::string& subject) {
  if (subject.empty())
    throw Error(ErrorCategory::kBadInput, "subject is empty; e.g. CN=shop.example");
  const char sep = subject.front() == '/' ? '/' : ',';
  NamePtr name(X509_NAME_new());
  std::string part;
  auto add = [&](std::string rdn) {
    const auto start = rdn.find_first_not_of(' ');
    if (start == std::string::npos) return;
    rdn.erase(0, start);
    const auto eq = rdn.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw Error(ErrorCategory::kBadInput, "subject part '" + rdn + "' is not TYPE=value");
    }
    const std::string type = rdn.substr(0, eq), value = rdn.substr(eq + 1);
    if (X509_NAME_add_entry_by_txt(name.get(), type.c_str(), MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1,
                                   0) != 1) {
      ERR_clear_error();
      throw Error(ErrorCategory::kBadInput, "subject attribute '" + type + "' is not known");
    }
  };
  for (std::size_t i = sep == '/' ? 1 : 0; i < subject.size(); ++i) {
    if (subject[i] == '\\' && i + 1 < subject.size()) {
      part.push_back(subject[++i]);
    } else if (subject[i] == sep) {
      add(std::exchange(part, {}));
    } else {
      part.push_back(subject[i]);
    }
  }
  add(part);
  if (X509_NAME_entry_count(name.get()) == 0) {
    throw Error(ErrorCategory::kBadInput, "subject '" + subject + "' has no attributes");
  }
  return name;
}

// Copied out of the snapshot: the caller uses it after the snapshot may have been replaced.
std::vector<KeyVersion> versions_of(const Token& token, const std::string& key_name) {
  const auto set = token.keys().snapshot();
  const auto it = set->versions.find(key_name);
  if (it == set->versions.end()) {
    throw Error(ErrorCategory::kNotFound, "unknown key '" + key_name + "'");
  }
  return it->second;
}

// The version asked for, or the active one.
const KeyVersion& pick(const std::vector<KeyVersion>& versions, const std::string& key_name,
                       std::optional<unsigned> version) {
  for (const auto& v : versions) {
    if (version ? v.number == *version : v.state == VersionState::kActive) return v;
  }
  throw Error(ErrorCategory::kNotFound,
              "key '" + key_name + "' has no version " + std::to_string(version.value_or(0)));
}

ResolvedKey find_key(const Token& token, const std::string& key_name,
                     std::optional<unsigned> version) {
  return pick(versions_of(token, key_name), key_name, version).key;
}

ResolvedKey find_key(const Token& token, const CertificateKey& wanted) {
  const auto versions = versions_of(token, wanted.name);
  if (!wanted.fingerprint_sha256.empty() &&
      std::none_of(versions.begin(), versions.end(), [&](const KeyVersion& v) {
        return v.key.fingerprint_sha256 == wanted.fingerprint_sha256;
      })) {
    throw Error(ErrorCategory::kConflict, "key '" + wanted.name +
                                              "' was given another key by a reload after this "
                                              "request was admitted; send it again");
  }
  const KeyVersion& v = pick(versions, wanted.name, wanted.version);
  if (v.state == VersionState::kRetired) {
    throw Error(ErrorCategory::kConflict, "key '" + wanted.name + "' version " +
                                              std::to_string(v.number) +
                                              " is retired: it makes no certificate or request");
  }
  return v.key;
}

std::vector<CK_OBJECT_HANDLE> stored_certificates(const Module& module, CK_SESSION_HANDLE session,
                                                  const ResolvedKey& key) {
  Template query;
  query.add_ulong(CKA_CLASS, CKO_CERTIFICATE).add_bytes(CKA_ID, key.id);
  return find_objects(module, session, query);
}

CertificateExists certificate_exists(const ResolvedKey& key) {
  return {ErrorCategory::kConflict,
          "key '" + key.spec.name + "' already has a certificate on the token"};
}

void require_no_certificate(Token& token, const ResolvedKey& key) {
  token.with_admin_session([&](const Module& module, CK_SESSION_HANDLE session) {
    if (!stored_certificates(module, session, key).empty()) throw certificate_exists(key);
    return 0;
  });
}

void add_extension(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr || X509_add_ext(cert, ext, -1) != 1) {
    X509_EXTENSION_free(ext);
    throw Error(ErrorCategory::kPermanent,
                std::string("cannot add certificate extension ") + value);
  }
  X509_EXTENSION_free(ext);
}

void set_random_serial(X509* cert) {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    throw Error(ErrorCategory::kPermanent, "OpenSSL could not produce a random serial number");
  }
  bytes[0] &= 0x7f;  // positive
  bytes[0] |= 0x40;  // and never shorter than 16 bytes
  BIGNUM* bn = BN_bin2bn(bytes, sizeof bytes, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert));
  BN_free(bn);
}

template <typename T, typename WriteFn>
std::string to_pem(T* object, WriteFn write) {
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new(BIO_s_mem()));
  if (write(bio.get(), object) != 1) throw Error(ErrorCategory::kPermanent, "cannot write PEM");
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

template <typename T, typename I2dFn>
Bytes to_der(T* object, I2dFn i2d) {
  unsigned char* der = nullptr;
  const int len = i2d(object, &der);
  if (len <= 0) throw Error(ErrorCategory::kPermanent, "cannot DER-encode");
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

// Checked again here, under the admin lock: another certificate may have been stored while this
// one was signed.
void store_certificate(Token& token, const ResolvedKey& key, X509* cert, bool replace) {
  const Bytes value = to_der(cert, i2d_X509);
  const Bytes subject = to_der(X509_get_subject_name(cert), i2d_X509_NAME);
  const Bytes serial = to_der(X509_get_serialNumber(cert), i2d_ASN1_INTEGER);
  token.with_admin_session([&](const Module& module, CK_SESSION_HANDLE session) {
    const auto old = stored_certificates(module, session, key);
    if (!replace && !old.empty()) throw certificate_exists(key);
    Template t;
    t.add_ulong(CKA_CLASS, CKO_CERTIFICATE)
        .add_ulong(CKA_CERTIFICATE_TYPE, CKC_X_509)
        .add_bool(CKA_TOKEN, true)
        .add_bool(CKA_PRIVATE, false)
        .add_string(CKA_LABEL, key.label)
        .add_bytes(CKA_ID, key.id)
        .add_bytes(CKA_SUBJECT, subject)
        .add_bytes(CKA_ISSUER, subject)
        .add_bytes(CKA_SERIAL_NUMBER, serial)
        .add_bytes(CKA_VALUE, value);
    CK_OBJECT_HANDLE created = CK_INVALID_HANDLE;
    module.call("C_CreateObject", &CK_FUNCTION_LIST::C_CreateObject, session, t.data(), t.size(),
                &created);
    for (auto handle : old) module.call_rv(&CK_FUNCTION_LIST::C_DestroyObject, session, handle);
    return 0;
  });
}

[[noreturn]] void signing_failed(const char* what, const TokenEvpKey& key) {
  ERR_clear_error();
  throw Error(ErrorCategory::kPermanent,
              std::string("signing the ") + what + " on the token failed" +
                  (key.last_error().empty() ? "" : ": " + key.last_error()));
}

EvpPkeyPtr public_key_of(const ResolvedKey& key) {
  const unsigned char* p = key.spki_der.data();
  EvpPkeyPtr pkey(d2i_PUBKEY(nullptr, &p, static_cast<long>(key.spki_der.size())));
  if (!pkey) throw Error(ErrorCategory::kPermanent, "the key's public key does not parse");
  return pkey;
}

// Signs cert (X509) or req (X509_REQ) with the token key: RSA through OpenSSL's own signing with
// a token-backed key (token_evp_key.h), EC and Ed25519 by signing the encoded TBS on the token
// (tbs_signing.h).
void sign_certificate(Token& token, const ResolvedKey& key, X509* cert) {
  if (key.type != KeyType::kRsa) {
    sign_certificate_on_token(token, key, cert);
    return;
  }
  TokenEvpKey token_key(token, key);
  if (X509_sign(cert, token_key.get(), EVP_sha256()) <= 0) signing_failed("certificate", token_key);
}

void sign_request(Token& token, const ResolvedKey& key, X509_REQ* req) {
  if (key.type != KeyType::kRsa) {
    X509_REQ_set_pubkey(req, public_key_of(key).get());
    sign_request_on_token(token, key, req);
    return;
  }
  TokenEvpKey token_key(token, key);
  X509_REQ_set_pubkey(req, token_key.get());
  if (X509_REQ_sign(req, token_key.get(), EVP_sha256()) <= 0) {
    signing_failed("certificate request", token_key);
  }
}

}  // namespace

std::string make_self_signed_certificate(Token& token, const CertificateKey& wanted,
                                         const std::string& subject, unsigned days, bool replace) {
  if (days < 1 || days > 36500) {
    throw Error(ErrorCategory::kBadInput, "days must be between 1 and 36500");
  }
  const ResolvedKey key = find_key(token, wanted);
  if (!replace) require_no_certificate(token, key);
  NamePtr name = parse_subject(subject);
  std::unique_ptr<X509, X509Deleter> cert(X509_new());
  X509_set_version(cert.get(), X509_VERSION_3);
  set_random_serial(cert.get());
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_time_adj_ex(X509_getm_notAfter(cert.get()), static_cast<int>(days), 0, nullptr);
  X509_set_subject_name(cert.get(), name.get());
  X509_set_issuer_name(cert.get(), name.get());
  // The subject key identifier is the hash of the public key: it must be set before the extension.
  X509_set_pubkey(cert.get(), public_key_of(key).get());
  add_extension(cert.get(), NID_basic_constraints, "critical,CA:FALSE");
  add_extension(cert.get(), NID_key_usage, "critical,digitalSignature,nonRepudiation");
  add_extension(cert.get(), NID_subject_key_identifier, "hash");
  sign_certificate(token, key, cert.get());
  store_certificate(token, key, cert.get(), replace);
  return to_pem(cert.get(), PEM_write_bio_X509);
}

std::string make_certificate_request(Token& token, const CertificateKey& wanted,
                                     const std::string& subject) {
  const ResolvedKey key = find_key(token, wanted);
  NamePtr name = parse_subject(subject);
  std::unique_ptr<X509_REQ, ReqDeleter> req(X509_REQ_new());
  X509_REQ_set_version(req.get(), 0);  // the only version PKCS#10 defines (v1 = 0)
  X509_REQ_set_subject_name(req.get(), name.get());
  sign_request(token, key, req.get());
  return to_pem(req.get(), PEM_write_bio_X509_REQ);
}

std::optional<std::string> read_certificate(Token& token, const std::string& key_name,
                                            std::optional<unsigned> version) {
  const ResolvedKey key = find_key(token, key_name, version);
  auto der = token.with_admin_session([&](const Module& module, CK_SESSION_HANDLE session) {
    Template query;
    query.add_ulong(CKA_CLASS, CKO_CERTIFICATE).add_bytes(CKA_ID, key.id);
    const auto found = find_objects(module, session, query);
    if (found.empty()) return std::optional<Bytes>{};
    return read_attribute(module, session, found.front(), CKA_VALUE);
  });
  if (!der) return std::nullopt;
  const unsigned char* p = der->data();
  std::unique_ptr<X509, X509Deleter> cert(d2i_X509(nullptr, &p, static_cast<long>(der->size())));
  if (!cert) {
    throw Error(ErrorCategory::kPermanent,
                "the certificate stored for key '" + key_name + "' does not parse");
  }
  return to_pem(cert.get(), PEM_write_bio_X509);
}

}  // namespace p11signd::pkcs11
