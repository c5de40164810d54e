#include "pkcs11/ec_params.h"

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/objects.h>

#include <memory>

#include "common/openssl_ptr.h"

namespace p11signd::pkcs11 {
namespace {

int curve_nid(KeyType type) {
  switch (type) {
    case KeyType::kEcP256:
      return NID_X9_62_prime256v1;
    case KeyType::kEcP384:
      return NID_secp384r1;
    case KeyType::kEd25519:
      return NID_ED25519;
    case KeyType::kRsa:
      break;
  }
  return NID_undef;
}

// The length of the public key bytes OpenSSL takes: an uncompressed point (0x04, X, Y) for the NIST
// curves, the 32-byte encoded point for Ed25519.
std::size_t point_len(KeyType type) {
  switch (type) {
    case KeyType::kEcP256:
      return 65;
    case KeyType::kEcP384:
      return 97;
    case KeyType::kEd25519:
      return 32;
    case KeyType::kRsa:
      break;
  }
  return 0;
}

bool is_point(KeyType type, ByteView bytes) {
  if (bytes.size() != point_len(type)) return false;
  return type == KeyType::kEd25519 || bytes.front() == 0x04;
}

}  // namespace

Bytes ec_params_der(KeyType type) {
  const int nid = curve_nid(type);
  if (nid == NID_undef) return {};
  const ASN1_OBJECT* oid = OBJ_nid2obj(nid);
  unsigned char* der = nullptr;
  const int len = i2d_ASN1_OBJECT(oid, &der);
  if (len <= 0) return {};
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

std::optional<KeyType> key_type_of_ec_params(ByteView params) {
  const unsigned char* p = params.data();
  Asn1ObjectPtr oid(d2i_ASN1_OBJECT(nullptr, &p, static_cast<long>(params.size())));
  if (oid && p == params.data() + params.size()) {
    for (KeyType t : {KeyType::kEcP256, KeyType::kEcP384, KeyType::kEd25519}) {
      if (OBJ_obj2nid(oid.get()) == curve_nid(t)) return t;
    }
    return std::nullopt;
  }
  ERR_clear_error();
  p = params.data();
  Asn1PrintableStringPtr name(
      d2i_ASN1_PRINTABLESTRING(nullptr, &p, static_cast<long>(params.size())));
  ERR_clear_error();
  if (name && p == params.data() + params.size() &&
      as_chars({ASN1_STRING_get0_data(name.get()),
                static_cast<std::size_t>(ASN1_STRING_length(name.get()))}) == "edwards25519") {
    return KeyType::kEd25519;
  }
  return std::nullopt;
}

std::optional<Bytes> unwrap_ec_point(KeyType type, ByteView ec_point) {
  // A bare P-256 point (65 bytes from 0x04) cannot be mistaken for a wrapped one: the wrapped form
  // is two bytes longer.
  if (is_point(type, ec_point)) return Bytes(ec_point.begin(), ec_point.end());
  const unsigned char* p = ec_point.data();
  Asn1OctetStringPtr octets(d2i_ASN1_OCTET_STRING(nullptr, &p, static_cast<long>(ec_point.size())));
  ERR_clear_error();
  if (!octets || p != ec_point.data() + ec_point.size()) return std::nullopt;
  const ByteView inner(ASN1_STRING_get0_data(octets.get()),
                       static_cast<std::size_t>(ASN1_STRING_length(octets.get())));
  if (!is_point(type, inner)) return std::nullopt;
  return Bytes(inner.begin(), inner.end());
}

Bytes wrap_ec_point(ByteView point) {
  Asn1OctetStringPtr octets(ASN1_OCTET_STRING_new());
  unsigned char* der = nullptr;
  int len = 0;
  if (!octets ||
      ASN1_OCTET_STRING_set(octets.get(), point.data(), static_cast<int>(point.size())) != 1 ||
      (len = i2d_ASN1_OCTET_STRING(octets.get(), &der)) <= 0) {
    return {};
  }
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

CK_KEY_TYPE ck_key_type(KeyType type) {
  switch (type) {
    case KeyType::kRsa:
      return CKK_RSA;
    case KeyType::kEcP256:
    case KeyType::kEcP384:
      return CKK_EC;
    case KeyType::kEd25519:
      return CKK_EC_EDWARDS;
  }
  return CKK_RSA;
}

}  // namespace p11signd::pkcs11
