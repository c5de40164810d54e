#include "pkcs11/key_versions.h"

#include "pkcs11/attributes.h"
#include "pkcs11/key_generation.h"
#include "pkcs11/key_templates.h"
#include "pkcs11/version_record_store.h"
#include "pkcs11/version_resolution.h"

namespace p11signd::pkcs11 {
namespace {

// A key's record as the token holds it now, and the objects holding it (none before the first
// write: then the record is made here from version 1 as the configuration finds it).
struct Current {
  VersionRecord record;
  std::vector<CK_OBJECT_HANDLE> handles;
};

Current read_current(const Module& module, CK_SESSION_HANDLE session, const KeySpec& spec) {
  const RecordsOnToken records = read_version_records(module, session);
  if (!records.problem.empty()) throw Error(ErrorCategory::kBadInput, records.problem);
  if (auto record = records.record_for(spec)) return {*record, records.handles_of(*record)};
  const ResolvedKey first = resolve_key(module, session, spec);
  Current current;
  current.record.anchor_id = first.id;
  current.record.anchor_label = first.label;
  current.record.versions.push_back({1, first.id, first.label, VersionState::kActive, {}, {}});
  return current;
}

VersionEntry& entry_of(VersionRecord& record, const std::string& name, unsigned number) {
  if (VersionEntry* entry = record.find(number)) return *entry;
  throw Error(ErrorCategory::kNotFound,
              "key '" + name + "' has no version " + std::to_string(number));
}

[[noreturn]] void refuse(const std::string& name, const VersionEntry& entry,
                         const std::string& why) {
  throw Error(ErrorCategory::kConflict, describe_version(name, entry.number) + " is " +
                                            std::string(to_string(entry.state)) + ": " + why);
}

// Applies edit to the key's current record and writes it.
template <typename Edit>
void edit_record(Token& token, const std::string& name, Edit&& edit) {
  token.change_versions(name,
                        [&](const Module& module, CK_SESSION_HANDLE session, const KeySpec& spec) {
                          Current current = read_current(module, session, spec);
                          edit(current.record);
                          write_version_record(module, session, current.record, current.handles);
                        });
}

// The objects of one version: its key pair and its certificates, by CKA_ID (by label for a
// version 1 without an id).
std::vector<CK_OBJECT_HANDLE> objects_of(const Module& module, CK_SESSION_HANDLE session,
                                         const VersionEntry& entry) {
  std::vector<CK_OBJECT_HANDLE> out;
  for (CK_OBJECT_CLASS cls : {CKO_PRIVATE_KEY, CKO_PUBLIC_KEY, CKO_CERTIFICATE}) {
    Template query;
    query.add_ulong(CKA_CLASS, cls);
    if (entry.id.empty()) {
      query.add_string(CKA_LABEL, entry.label);
    } else {
      query.add_bytes(CKA_ID, entry.id);
    }
    const auto found = find_objects(module, session, query);
    out.insert(out.end(), found.begin(), found.end());
  }
  return out;
}

void destroy_objects(const Module& module, CK_SESSION_HANDLE session, const VersionEntry& entry) {
  for (auto handle : objects_of(module, session, entry)) {
    module.call("C_DestroyObject", &CK_FUNCTION_LIST::C_DestroyObject, session, handle);
  }
}

VersionEntry next_entry(const VersionRecord& record, const KeySpec& spec) {
  VersionEntry entry;
  entry.number = record.next;
  entry.id = fresh_id();
  // '.': a label a [key.NAME] section can also hold ('#' would start a comment there).
  entry.label = (record.anchor_label.empty() ? spec.name : record.anchor_label) + ".v" +
                std::to_string(entry.number);
  entry.state = VersionState::kPending;
  entry.created = rfc3339_now();
  return entry;
}

// Adds the next version, whose key pair create(module, session, spec, record, entry) puts on the
// token, and writes the record; when the write fails, the pair is destroyed again.
template <typename Create>
unsigned add_version(Token& token, const std::string& name, Create&& create) {
  unsigned number = 0;
  token.change_versions(
      name, [&](const Module& module, CK_SESSION_HANDLE session, const KeySpec& spec) {
        Current current = read_current(module, session, spec);
        const VersionEntry entry = next_entry(current.record, spec);
        try {
          create(module, session, spec, current.record, entry);
        } catch (const Error& e) {
          if (e.rv() != CKR_OK) throw;
          throw Error(e.category(), describe_version(name, entry.number) + ": " + e.what());
        }
        current.record.versions.push_back(entry);
        current.record.next = entry.number + 1;
        try {
          write_version_record(module, session, current.record, current.handles);
        } catch (...) {
          for (auto handle : objects_of(module, session, entry)) {
            module.call_rv(&CK_FUNCTION_LIST::C_DestroyObject, session, handle);
          }
          throw;
        }
        number = entry.number;
      });
  return number;
}

// Runs f; a failure the token reported gets what was being done in front (this layer's own errors
// name the key and version already).
template <typename F>
auto doing(const std::string& what, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const Error& e) {
    if (e.rv() == CKR_OK) throw;
    throw Error(what, e);
  }
}

std::string version_op(const char* op, const std::string& name, unsigned number) {
  return std::string(op) + " " + describe_version(name, number);
}

}  // namespace

unsigned rotate_version(Token& token, const std::string& name,
                        const std::optional<KeyShape>& shape) {
  return doing("rotating key '" + name + "'", [&] {
    return add_version(token, name,
                       [&](const Module& module, CK_SESSION_HANDLE session, const KeySpec& spec,
                           VersionRecord& record, const VersionEntry& entry) {
                         KeyShape made = shape.value_or(KeyShape());
                         if (!shape) {
                           const ResolvedKey active =
                               resolve_entry(module, session, spec, *record.active());
                           made = KeyShape(active.type, active.bits);
                         }
                         generate_key_pair(module, session, {entry.label, entry.id}, made);
                       });
  });
}

unsigned rotate_import_version(Token& token, const std::string& name, Secret pem) {
  KeyToImport parsed(std::move(pem));
  return doing("rotating key '" + name + "' (import)", [&] {
    return add_version(token, name,
                       [&](const Module& module, CK_SESSION_HANDLE session, const KeySpec&,
                           VersionRecord&, const VersionEntry& entry) {
                         parsed.create(module, session, {entry.label, entry.id});
                       });
  });
}

void activate_version(Token& token, const std::string& name, unsigned number) {
  doing(version_op("activating", name, number), [&] {
    edit_record(token, name, [&](VersionRecord& record) {
      VersionEntry& entry = entry_of(record, name, number);
      if (entry.state == VersionState::kActive) refuse(name, entry, "it is already the active one");
      if (entry.state == VersionState::kRetired) {
        refuse(name, entry, "a retired version is not activated again; rotate to make a new one");
      }
      record.active()->state = VersionState::kRetiring;
      entry.state = VersionState::kActive;
    });
  });
}

void retire_version(Token& token, const std::string& name, unsigned number) {
  doing(version_op("retiring", name, number), [&] {
    edit_record(token, name, [&](VersionRecord& record) {
      VersionEntry& entry = entry_of(record, name, number);
      if (entry.state == VersionState::kActive) {
        refuse(name, entry, "activate another version first");
      }
      if (entry.state == VersionState::kRetired) refuse(name, entry, "it is already retired");
      entry.state = VersionState::kRetired;
    });
  });
}

void destroy_version(Token& token, const std::string& name, unsigned number) {
  doing(version_op("destroying", name, number), [&] {
    token.change_versions(
        name, [&](const Module& module, CK_SESSION_HANDLE session, const KeySpec& spec) {
          Current current = read_current(module, session, spec);
          VersionEntry& entry = entry_of(current.record, name, number);
          if (entry.state != VersionState::kRetired) {
            refuse(name, entry, "only a retired version is destroyed; retire it first");
          }
          destroy_objects(module, session, entry);
          std::erase_if(current.record.versions,
                        [&](const VersionEntry& v) { return v.number == number; });
          write_version_record(module, session, current.record, current.handles);
        });
  });
}

void set_version_settings(Token& token, const std::string& name, unsigned number,
                          const std::map<std::string, std::string>& settings) {
  doing(version_op("setting the settings of", name, number), [&] {
    edit_record(token, name, [&](VersionRecord& record) {
      VersionEntry& entry = entry_of(record, name, number);
      entry.settings.clear();
      for (const auto& [setting, value] : settings) {
        if (!value.empty()) entry.settings.emplace(setting, value);
      }
    });
  });
}

}  // namespace p11signd::pkcs11
