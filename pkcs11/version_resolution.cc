#include "pkcs11/version_resolution.h"

#include <algorithm>

#include "pkcs11/rv.h"

namespace p11signd::pkcs11 {

std::string describe_version(const std::string& name, unsigned number) {
  return "key '" + name + "' version " + std::to_string(number);
}

ResolvedKey resolve_entry(const Module& module, CK_SESSION_HANDLE session, const KeySpec& spec,
                          const VersionEntry& entry) {
  KeySpec by_entry = spec;
  by_entry.id = entry.id;
  by_entry.label = entry.id.empty() ? entry.label : std::string();
  try {
    return resolve_key(module, session, by_entry);
  } catch (const Error& e) {
    if (e.rv() != CKR_OK) throw;  // the token's own failure: recovery acts on it as it is
    throw Error(e.category(), describe_version(spec.name, entry.number) + ": " + e.what());
  }
}

std::vector<KeyVersion> resolve_versions(const Module& module, CK_SESSION_HANDLE session,
                                         const KeySpec& spec, const RecordsOnToken& records) {
  if (!records.problem.empty()) throw Error(ErrorCategory::kBadInput, records.problem);
  const auto record = records.record_for(spec);
  if (!record)
    return {KeyVersion{1, VersionState::kActive, {}, {}, resolve_key(module, session, spec)}};
  std::vector<KeyVersion> out;
  for (const auto& entry : record->versions) {
    try {
      out.push_back({entry.number, entry.state, entry.created, entry.settings,
                     resolve_entry(module, session, spec, entry)});
    } catch (const Error& e) {
      if (e.category() == ErrorCategory::kNotFound && entry.state == VersionState::kRetired) {
        continue;
      }
      throw;
    }
  }
  return out;
}

void put_versions(KeySet& set, const Module& module, CK_SESSION_HANDLE session, const KeySpec& spec,
                  const RecordsOnToken& records) {
  auto versions = resolve_versions(module, session, spec, records);
  const std::string& name = spec.name;
  const auto active = std::find_if(versions.begin(), versions.end(), [](const KeyVersion& v) {
    return v.state == VersionState::kActive;
  });
  if (active == versions.end()) {
    throw Error(ErrorCategory::kBadInput, "key '" + name + "' has no active version");
  }
  set.unresolved.erase(name);
  set.keys[name] = active->key;
  set.versions[name] = std::move(versions);
  set.record_serials[name] = records.serial_for(spec);
}

}  // namespace p11signd::pkcs11
