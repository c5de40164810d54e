#include "schemes/scheme.h"

#include <algorithm>

#include "common/nearest_name.h"

namespace p11signd::schemes {

std::vector<std::string> Scheme::check_settings(const KeySettings&) const { return {}; }

std::vector<std::string> Scheme::unknown_settings(const KeySettings& settings) const {
  const std::string prefix = name() + ".";
  const auto known = known_settings();
  std::string list;
  for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
  std::vector<std::string> problems;
  for (const auto& [setting, value] : settings) {
    if (setting.rfind(prefix, 0) != 0) continue;
    if (std::find(known.begin(), known.end(), setting) != known.end()) continue;
    const auto nearest = nearest_name(setting, known);
    problems.push_back(setting + ": not a setting of scheme " + name() +
                       (nearest ? "; did you mean '" + *nearest + "'?" : "") +
                       (list.empty() ? " (it has none)" : " (its settings: " + list + ")"));
  }
  return problems;
}

std::vector<std::string> Scheme::accepted_fields(std::string_view op) const {
  const Json description = describe();
  const Json* spec = nullptr;
  if (op == "sign" || op == "verify") {
    if (description.contains(op)) spec = &description[std::string(op)];
  } else if (description.contains("actions") && description["actions"].contains(op)) {
    spec = &description["actions"][std::string(op)];
  }
  std::vector<std::string> fields;
  if (!spec) return fields;
  const auto add = [&fields](const Json& name) {
    if (name.is_string() && std::find(fields.begin(), fields.end(), name) == fields.end()) {
      fields.push_back(name.get<std::string>());
    }
  };
  // An operation may take a second shape of input altogether ("or"), listed the same way.
  for (const Json* shape = spec; shape; shape = shape->contains("or") ? &(*shape)["or"] : nullptr) {
    for (const char* list : {"required", "optional"}) {
      if (shape->contains(list)) {
        for (const auto& name : (*shape)[list]) add(name);
      }
    }
    if (shape->contains("alternatives")) {
      for (const auto& [name, instead] : (*shape)["alternatives"].items()) {
        add(Json(name));
        add(instead);
      }
    }
  }
  return fields;
}

void Scheme::reject_unknown_fields(const Json& input, std::string_view op,
                                   const std::vector<std::string>& transport) const {
  if (!input.is_object()) return;  // the operation itself says it wants an object
  std::vector<std::string> known = transport;
  for (auto& field : accepted_fields(op)) known.push_back(std::move(field));
  for (const auto& [member, value] : input.items()) {
    if (std::find(known.begin(), known.end(), member) != known.end()) continue;
    throw SchemeError(SchemeErrorKind::kBadRequest, member,
                      member + ": not a field of " + name() + " " + std::string(op) +
                          did_you_mean(member, known) + "; its fields are " + comma_list(known),
                      FieldProblem::kUnknown);
  }
}

std::vector<std::string> Scheme::unset_fallbacks(const KeySettings& settings) const {
  std::vector<std::string> notes;
  for (const auto& [setting, field] : request_fallbacks()) {
    if (settings.count(setting)) continue;
    notes.push_back(setting + " is not set: every " + name() + " request must carry " + field +
                    " itself (a request without it is refused, 422)");
  }
  return notes;
}

Json Scheme::run_action(std::string_view action, const Json&, const KeySettings&,
                        const SigningKey&) const {
  throw SchemeError(SchemeErrorKind::kBadRequest, "action",
                    "scheme " + name() + " has no action '" + std::string(action) + "'");
}

}  // namespace p11signd::schemes
