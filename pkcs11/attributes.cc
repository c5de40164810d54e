#include "pkcs11/attributes.h"

#include <openssl/crypto.h>

#include <cstring>

namespace p11signd::pkcs11 {

Template::~Template() {
  for (auto& v : values_) {
    if (!v->empty()) OPENSSL_cleanse(v->data(), v->size());
  }
}

Template& Template::add_raw(CK_ATTRIBUTE_TYPE type, const void* value, std::size_t length) {
  auto storage = std::make_unique<Bytes>(length);
  if (length != 0) std::memcpy(storage->data(), value, length);
  attributes_.push_back(CK_ATTRIBUTE{type, storage->data(), static_cast<CK_ULONG>(length)});
  values_.push_back(std::move(storage));
  return *this;
}

Template& Template::add_bool(CK_ATTRIBUTE_TYPE type, bool value) {
  const CK_BBOOL b = value ? CK_TRUE : CK_FALSE;
  return add_raw(type, &b, sizeof b);
}

Template& Template::add_ulong(CK_ATTRIBUTE_TYPE type, CK_ULONG value) {
  return add_raw(type, &value, sizeof value);
}

Template& Template::add_bytes(CK_ATTRIBUTE_TYPE type, ByteView value) {
  return add_raw(type, value.data(), value.size());
}

Template& Template::add_string(CK_ATTRIBUTE_TYPE type, std::string_view value) {
  return add_raw(type, value.data(), value.size());
}

CK_RV read_attribute_rv(const Module& module, CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object,
                        CK_ATTRIBUTE_TYPE type) {
  CK_ATTRIBUTE a{type, nullptr, 0};
  return module.call_rv(&CK_FUNCTION_LIST::C_GetAttributeValue, session, object, &a, CK_ULONG{1});
}

std::optional<Bytes> read_attribute(const Module& module, CK_SESSION_HANDLE session,
                                    CK_OBJECT_HANDLE object, CK_ATTRIBUTE_TYPE type) {
  CK_ATTRIBUTE a{type, nullptr, 0};
  CK_RV rv =
      module.call_rv(&CK_FUNCTION_LIST::C_GetAttributeValue, session, object, &a, CK_ULONG{1});
  if (rv == CKR_ATTRIBUTE_SENSITIVE || rv == CKR_ATTRIBUTE_TYPE_INVALID) return std::nullopt;
  if (rv != CKR_OK) module.fail<&CK_FUNCTION_LIST::C_GetAttributeValue>(rv);
  if (a.ulValueLen == CK_UNAVAILABLE_INFORMATION) return std::nullopt;
  Bytes value(a.ulValueLen);
  a.pValue = value.data();
  module.call<&CK_FUNCTION_LIST::C_GetAttributeValue>(session, object, &a, CK_ULONG{1});
  value.resize(a.ulValueLen);
  return value;
}

std::optional<bool> read_bool(const Module& module, CK_SESSION_HANDLE session,
                              CK_OBJECT_HANDLE object, CK_ATTRIBUTE_TYPE type) {
  auto v = read_attribute(module, session, object, type);
  if (!v || v->size() != sizeof(CK_BBOOL)) return std::nullopt;
  return (*v)[0] != CK_FALSE;
}

std::optional<CK_ULONG> read_ulong(const Module& module, CK_SESSION_HANDLE session,
                                   CK_OBJECT_HANDLE object, CK_ATTRIBUTE_TYPE type) {
  auto v = read_attribute(module, session, object, type);
  if (!v || v->size() != sizeof(CK_ULONG)) return std::nullopt;
  CK_ULONG out = 0;
  std::memcpy(&out, v->data(), sizeof out);
  return out;
}

std::vector<CK_OBJECT_HANDLE> find_objects(const Module& module, CK_SESSION_HANDLE session,
                                           Template& query) {
  module.call<&CK_FUNCTION_LIST::C_FindObjectsInit>(session, query.data(), query.size());
  std::vector<CK_OBJECT_HANDLE> found;
  try {
    CK_OBJECT_HANDLE batch[32];
    for (;;) {
      CK_ULONG n = 0;
      module.call<&CK_FUNCTION_LIST::C_FindObjects>(session, batch, CK_ULONG{32}, &n);
      found.insert(found.end(), batch, batch + n);
      if (n < 32) break;
    }
  } catch (...) {
    module.call_rv(&CK_FUNCTION_LIST::C_FindObjectsFinal, session);
    throw;
  }
  module.call<&CK_FUNCTION_LIST::C_FindObjectsFinal>(session);
  return found;
}

}  // namespace p11signd::pkcs11
