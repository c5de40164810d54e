#pragma once
// Reading and writing key version records (version_record.h) on the token, with the login session.

#include <optional>
#include <vector>

#include "pkcs11/module.h"
#include "pkcs11/version_record.h"

namespace p11signd::pkcs11 {

struct StoredRecord {
  CK_OBJECT_HANDLE handle = CK_INVALID_HANDLE;
  VersionRecord record;
};

struct RecordsOnToken {
  std::vector<StoredRecord> records;
  // A record that does not parse, as Error text naming its label; empty when all parse. Keys are
  // then refused rather than taken as version 1 active: that could sign with a retired key.
  std::string problem;

  // The record anchored by spec: of several (a replacement under way), the highest serial.
  std::optional<VersionRecord> record_for(const KeySpec& spec) const;
  // Its serial; 0 when spec anchors no record.
  std::uint64_t serial_for(const KeySpec& spec) const;
  // Every object holding a record with the same anchor as record.
  std::vector<CK_OBJECT_HANDLE> handles_of(const VersionRecord& record) const;
};

// Reads every record. An object that goes while it is read (another daemon replacing it) makes it
// read them all again, at most three times (then Error kUnavailable): a record is never missed,
// which would make its key version 1 again.
RecordsOnToken read_version_records(const Module& module, CK_SESSION_HANDLE session);

// Writes record with its serial raised, over the objects in old: one C_SetAttributeValue of
// CKA_VALUE on the first; the rest (left by an interrupted replacement) destroyed afterwards. When
// old is empty, or the token refuses to modify a data object, a new object is created first and
// the old destroyed after it, so the record is never absent. Throws Error; the record on the
// token is then what it was (or, if only a destroy of an old object failed, two objects the
// reader tells apart by serial).
void write_version_record(const Module& module, CK_SESSION_HANDLE session, VersionRecord& record,
                          const std::vector<CK_OBJECT_HANDLE>& old);

}  // namespace p11signd::pkcs11
