#pragma once
// Attribute templates and object attribute reads. A Template owns the values its CK_ATTRIBUTEs
// point at and wipes them when destroyed: import templates carry private key components.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "pkcs11/cryptoki.h"
#include "pkcs11/module.h"

namespace p11signd::pkcs11 {

class Template final {
 public:
  Template() = default;
  ~Template();
  Template(const Template&) = delete;
  Template& operator=(const Template&) = delete;

  Template& add_bool(CK_ATTRIBUTE_TYPE type, bool value);
  Template& add_ulong(CK_ATTRIBUTE_TYPE type, CK_ULONG value);
  Template& add_bytes(CK_ATTRIBUTE_TYPE type, ByteView value);
  Template& add_string(CK_ATTRIBUTE_TYPE type, std::string_view value);

  CK_ATTRIBUTE_PTR data() { return attributes_.data(); }
  CK_ULONG size() const { return static_cast<CK_ULONG>(attributes_.size()); }

 private:
  Template& add_raw(CK_ATTRIBUTE_TYPE type, const void* value, std::size_t length);
  std::vector<std::unique_ptr<Bytes>> values_;  // stable addresses for the pointers below
  std::vector<CK_ATTRIBUTE> attributes_;
};

// Reads one attribute. nullopt when the token says it is sensitive or not defined for the object;
// throws Error for anything else.
std::optional<Bytes> read_attribute(const Module& module, CK_SESSION_HANDLE session,
                                    CK_OBJECT_HANDLE object, CK_ATTRIBUTE_TYPE type);
// The raw CK_RV of reading one attribute (tests assert CKR_ATTRIBUTE_SENSITIVE with it).
CK_RV read_attribute_rv(const Module& module, CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object,
                        CK_ATTRIBUTE_TYPE type);
std::optional<bool> read_bool(const Module& module, CK_SESSION_HANDLE session,
                              CK_OBJECT_HANDLE object, CK_ATTRIBUTE_TYPE type);
std::optional<CK_ULONG> read_ulong(const Module& module, CK_SESSION_HANDLE session,
                                   CK_OBJECT_HANDLE object, CK_ATTRIBUTE_TYPE type);

// C_FindObjectsInit / C_FindObjects / C_FindObjectsFinal; Final always runs.
std::vector<CK_OBJECT_HANDLE> find_objects(const Module& module, CK_SESSION_HANDLE session,
                                           Template& query);

}  // namespace p11signd::pkcs11
