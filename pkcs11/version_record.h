#pragma once
// A key's version record: the one token object that says which key pairs are the versions of a
// configured key and the state of each (docs/architecture.md, "Key versions on the token"). It is
// a CKO_DATA object, private (readable only after login), whose CKA_VALUE is a small JSON document;
// every change of states is one write of that value, so a reader sees all states before the change
// or all after, never a mix. This file is the format; version_record_store.h reads and writes it.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/key_version_state.h"
#include "pkcs11/key_registry.h"

namespace p11signd::pkcs11 {

using VersionSettingsMap = std::map<std::string, std::string>;

struct VersionEntry {
  unsigned number = 1;
  Bytes id;           // CKA_ID of the key pair and of its certificate; empty only for a version 1
  std::string label;  // CKA_LABEL of the key pair
  VersionState state = VersionState::kActive;
  std::string created;          // RFC 3339 UTC; empty for a version 1 made before versions existed
  VersionSettingsMap settings;  // the provider's per-version settings
};

struct VersionRecord {
  // Version 1 as the configuration finds it (its CKA_ID and CKA_LABEL when the record was made): a
  // [key.NAME] section whose id = or label = matches belongs to this record, whatever NAME is, and
  // keeps belonging to it after version 1 itself is destroyed.
  Bytes anchor_id;
  std::string anchor_label;
  // Raised by every write. A token that cannot modify a data object gets a new object and the old
  // one destroyed; a reader that finds both meanwhile takes the higher serial.
  std::uint64_t serial = 0;
  unsigned next = 2;  // the next version's number: a destroyed version's number is never reused
  std::vector<VersionEntry> versions;  // oldest first

  // Whether spec (a configured key) names this record's version 1.
  bool anchors(const KeySpec& spec) const;
  const VersionEntry* find(unsigned number) const;
  VersionEntry* find(unsigned number);
  VersionEntry* active();
};

// The CKA_APPLICATION of every version record.
inline constexpr std::string_view kVersionRecordApplication = "p11signd key versions";

// The record's CKA_LABEL: "p11signd versions id=HEX" (version 1's CKA_ID), or "p11signd versions
// label=LABEL" for a version 1 without an id. For people listing the token; readers match by the
// anchor inside the value.
std::string record_label(const VersionRecord& record);

std::string to_json(const VersionRecord& record);
// Throws Error(kBadInput) saying what is wrong: not JSON, a field missing or of the wrong type, a
// state not known, not exactly one active version, a version number twice.
VersionRecord parse_version_record(std::string_view json);

// Now, as RFC 3339 UTC to the second ("2026-12-06T07:55:00Z").
std::string rfc3339_now();

}  // namespace p11signd::pkcs11
