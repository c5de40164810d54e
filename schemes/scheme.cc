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
                        const SignFn&) const {
  throw SchemeError(SchemeErrorKind::kBadRequest, "action",
                    "scheme " + name() + " has no action '" + std::string(action) + "'");
}

}  // namespace p11signd::schemes
