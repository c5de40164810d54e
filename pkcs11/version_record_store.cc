#include "pkcs11/version_record_store.h"

#include "pkcs11/attributes.h"
#include "pkcs11/rv.h"

namespace p11signd::pkcs11 {
namespace {

bool same_anchor(const VersionRecord& a, const VersionRecord& b) {
  return a.anchor_id == b.anchor_id && a.anchor_label == b.anchor_label;
}

// What a token answers when it will not modify an object or this attribute of it.
bool modification_refused(CK_RV rv) {
  return rv == CKR_ATTRIBUTE_READ_ONLY || rv == CKR_ACTION_PROHIBITED ||
         rv == CKR_FUNCTION_NOT_SUPPORTED || rv == CKR_TEMPLATE_INCONSISTENT;
}

CK_OBJECT_HANDLE create_record(const Module& module, CK_SESSION_HANDLE session,
                               const VersionRecord& record, const std::string& value) {
  Template t;
  t.add_ulong(CKA_CLASS, CKO_DATA)
      .add_bool(CKA_TOKEN, true)
      .add_bool(CKA_PRIVATE, true)
      .add_bool(CKA_MODIFIABLE, true)
      .add_string(CKA_APPLICATION, kVersionRecordApplication)
      .add_string(CKA_LABEL, record_label(record))
      .add_string(CKA_VALUE, value);
  CK_OBJECT_HANDLE handle = CK_INVALID_HANDLE;
  module.call("C_CreateObject", &CK_FUNCTION_LIST::C_CreateObject, session, t.data(), t.size(),
              &handle);
  return handle;
}

void destroy_all(const Module& module, CK_SESSION_HANDLE session,
                 const std::vector<CK_OBJECT_HANDLE>& handles) {
  for (auto handle : handles) {
    module.call("C_DestroyObject", &CK_FUNCTION_LIST::C_DestroyObject, session, handle);
  }
}

}  // namespace

std::optional<VersionRecord> RecordsOnToken::record_for(const KeySpec& spec) const {
  const VersionRecord* best = nullptr;
  for (const auto& stored : records) {
    if (stored.record.anchors(spec) && (best == nullptr || stored.record.serial > best->serial)) {
      best = &stored.record;
    }
  }
  if (best == nullptr) return std::nullopt;
  return *best;
}

std::uint64_t RecordsOnToken::serial_for(const KeySpec& spec) const {
  const auto record = record_for(spec);
  return record ? record->serial : 0;
}

std::vector<CK_OBJECT_HANDLE> RecordsOnToken::handles_of(const VersionRecord& record) const {
  std::vector<CK_OBJECT_HANDLE> out;
  for (const auto& stored : records) {
    if (same_anchor(stored.record, record)) out.push_back(stored.handle);
  }
  return out;
}

namespace {

// One pass over the records; false when an object found went before its value was read (another
// daemon replacing a record: its new object exists by then, so a second pass sees it).
bool read_records_once(const Module& module, CK_SESSION_HANDLE session, RecordsOnToken& out) {
  Template query;
  query.add_ulong(CKA_CLASS, CKO_DATA).add_string(CKA_APPLICATION, kVersionRecordApplication);
  out = {};
  for (auto handle : find_objects(module, session, query)) {
    if (read_attribute_rv(module, session, handle, CKA_VALUE) == CKR_OBJECT_HANDLE_INVALID) {
      return false;
    }
    const auto value = read_attribute(module, session, handle, CKA_VALUE).value_or(Bytes{});
    try {
      out.records.push_back({handle, parse_version_record(as_chars(value))});
    } catch (const Error& e) {
      const auto label = read_attribute(module, session, handle, CKA_LABEL).value_or(Bytes{});
      out.problem += (out.problem.empty() ? "" : "\n") + std::string(e.what()) + " (the object '" +
                     std::string(as_chars(label)) +
                     "'): fix or remove it; until then no key is used, rather than one that "
                     "may have been retired";
    }
  }
  return true;
}

}  // namespace

RecordsOnToken read_version_records(const Module& module, CK_SESSION_HANDLE session) {
  RecordsOnToken out;
  for (int pass = 0; pass < 3; ++pass) {
    if (read_records_once(module, session, out)) return out;
  }
  throw Error(ErrorCategory::kUnavailable,
              "the key version records on the token kept changing while they were read");
}

void write_version_record(const Module& module, CK_SESSION_HANDLE session, VersionRecord& record,
                          const std::vector<CK_OBJECT_HANDLE>& old) {
  ++record.serial;
  const std::string value = to_json(record);
  if (!old.empty()) {
    Template t;
    t.add_string(CKA_VALUE, value);
    const CK_RV rv = module.call_rv(&CK_FUNCTION_LIST::C_SetAttributeValue, session, old.front(),
                                    t.data(), t.size());
    if (rv == CKR_OK) {
      destroy_all(module, session, {old.begin() + 1, old.end()});
      return;
    }
    if (!modification_refused(rv)) {
      --record.serial;
      module.fail("C_SetAttributeValue", rv);
    }
    // SoftHSM, for one, never modifies a data object's CKA_VALUE: replaced, as below.
  }
  try {
    create_record(module, session, record, value);
  } catch (...) {
    --record.serial;
    throw;
  }
  destroy_all(module, session, old);
}

}  // namespace p11signd::pkcs11
