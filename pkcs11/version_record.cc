#include "pkcs11/version_record.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <set>

#include "common/encoding.h"
#include "pkcs11/rv.h"

namespace p11signd::pkcs11 {
namespace {

using nlohmann::json;

// The format written; a reader refuses a record of a later format rather than misread it.
constexpr int kFormat = 1;

[[noreturn]] void bad_record(const std::string& why) {
  throw Error(ErrorCategory::kBadInput, "the key version record on the token " + why);
}

// nlohmann reads a non-negative integer as number_unsigned: a negative one has the wrong type.
const json& member(const json& object, const char* name, json::value_t type) {
  const auto it = object.find(name);
  if (it == object.end() || it->type() != type) {
    bad_record(std::string("lacks \"") + name + "\" or it has the wrong type");
  }
  return *it;
}

Bytes hex_member(const json& object, const char* name) {
  auto bytes = hex_decode(member(object, name, json::value_t::string).get<std::string>());
  if (!bytes) bad_record(std::string("has a \"") + name + "\" that is not hex");
  return *bytes;
}

json entry_json(const VersionEntry& v) {
  return {{"version", v.number},         {"id", hex_encode(v.id)}, {"label", v.label},
          {"state", to_string(v.state)}, {"created", v.created},   {"settings", v.settings}};
}

VersionEntry parse_entry(const json& j) {
  if (!j.is_object()) bad_record("has a version that is not an object");
  VersionEntry v;
  v.number = member(j, "version", json::value_t::number_unsigned).get<unsigned>();
  v.id = hex_member(j, "id");
  v.label = member(j, "label", json::value_t::string).get<std::string>();
  const auto state =
      parse_version_state(member(j, "state", json::value_t::string).get<std::string>());
  if (!state) bad_record("gives version " + std::to_string(v.number) + " an unknown state");
  v.state = *state;
  v.created = member(j, "created", json::value_t::string).get<std::string>();
  for (const auto& [name, value] : member(j, "settings", json::value_t::object).items()) {
    if (!value.is_string()) bad_record("has a setting '" + name + "' that is not a string");
    v.settings.emplace(name, value.get<std::string>());
  }
  if (v.number == 0 || (v.id.empty() && v.number != 1)) {
    bad_record("has a version numbered 0 or without an id");
  }
  return v;
}

void check_versions(const VersionRecord& r) {
  std::set<unsigned> numbers;
  int active = 0;
  for (const auto& v : r.versions) {
    if (!numbers.insert(v.number).second || v.number >= r.next) {
      bad_record("lists version " + std::to_string(v.number) + " twice or past \"next\"");
    }
    active += v.state == VersionState::kActive ? 1 : 0;
  }
  if (active != 1) bad_record("has " + std::to_string(active) + " active versions, not one");
}

}  // namespace

bool VersionRecord::anchors(const KeySpec& spec) const {
  if (!spec.id.empty()) return spec.id == anchor_id;
  return !spec.label.empty() && spec.label == anchor_label;
}

const VersionEntry* VersionRecord::find(unsigned number) const {
  const auto it = std::find_if(versions.begin(), versions.end(),
                               [&](const VersionEntry& v) { return v.number == number; });
  return it == versions.end() ? nullptr : &*it;
}

VersionEntry* VersionRecord::find(unsigned number) {
  return const_cast<VersionEntry*>(std::as_const(*this).find(number));
}

VersionEntry* VersionRecord::active() {
  for (auto& v : versions) {
    if (v.state == VersionState::kActive) return &v;
  }
  return nullptr;
}

std::string record_label(const VersionRecord& record) {
  return "p11signd versions " + (record.anchor_id.empty() ? "label=" + record.anchor_label
                                                          : "id=" + hex_encode(record.anchor_id));
}

std::string to_json(const VersionRecord& r) {
  json versions = json::array();
  for (const auto& v : r.versions) versions.push_back(entry_json(v));
  const json doc = {{"format", kFormat},
                    {"serial", r.serial},
                    {"next", r.next},
                    {"anchor", {{"id", hex_encode(r.anchor_id)}, {"label", r.anchor_label}}},
                    {"versions", std::move(versions)}};
  return doc.dump();
}

VersionRecord parse_version_record(std::string_view text) {
  const json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) bad_record("is not a JSON object");
  if (member(doc, "format", json::value_t::number_unsigned).get<int>() != kFormat) {
    bad_record("is of a format this p11signd does not know (a later version wrote it)");
  }
  VersionRecord r;
  r.serial = member(doc, "serial", json::value_t::number_unsigned).get<std::uint64_t>();
  r.next = member(doc, "next", json::value_t::number_unsigned).get<unsigned>();
  const json& anchor = member(doc, "anchor", json::value_t::object);
  r.anchor_id = hex_member(anchor, "id");
  r.anchor_label = member(anchor, "label", json::value_t::string).get<std::string>();
  if (r.anchor_id.empty() && r.anchor_label.empty()) bad_record("has an empty anchor");
  for (const auto& v : member(doc, "versions", json::value_t::array)) {
    r.versions.push_back(parse_entry(v));
  }
  std::sort(r.versions.begin(), r.versions.end(),
            [](const VersionEntry& a, const VersionEntry& b) { return a.number < b.number; });
  check_versions(r);
  return r;
}

std::string rfc3339_now() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace p11signd::pkcs11
