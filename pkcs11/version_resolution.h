#pragma once
// From a configured key and the version records on the token to the key's versions, each with its
// key pair resolved (key_registry.h).

#include <string>
#include <vector>

#include "pkcs11/key_registry.h"
#include "pkcs11/version_record_store.h"

namespace p11signd::pkcs11 {

// The key pair of one entry, checked as resolve_key checks a configured key (found by its CKA_ID,
// or its label for a version 1 without one). Errors name the key and the version.
ResolvedKey resolve_entry(const Module& module, CK_SESSION_HANDLE session, const KeySpec& spec,
                          const VersionEntry& entry);

// Every version of the key spec names: from its record when there is one (a retired version whose
// key pair is gone is taken as destroyed: a destroy interrupted before its record was written),
// else version 1 as spec finds it, active. Throws Error like resolve_key.
std::vector<KeyVersion> resolve_versions(const Module& module, CK_SESSION_HANDLE session,
                                         const KeySpec& spec, const RecordsOnToken& records);

// Resolves spec's versions and puts them into set: the active one in set.keys, all in
// set.versions, the record's serial in set.record_serials. Throws Error like resolve_key.
void put_versions(KeySet& set, const Module& module, CK_SESSION_HANDLE session, const KeySpec& spec,
                  const RecordsOnToken& records);

// "key 'shop' version 2".
std::string describe_version(const std::string& name, unsigned number);

}  // namespace p11signd::pkcs11
