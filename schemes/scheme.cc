#include "schemes/scheme.h"

namespace p11signd::schemes {

std::vector<std::string> Scheme::check_settings(const KeySettings&) const { return {}; }

Json Scheme::run_action(std::string_view action, const Json&, const KeySettings&,
                        const SignFn&) const {
  throw SchemeError(SchemeErrorKind::kBadRequest, "action",
                    "scheme " + name() + " has no action '" + std::string(action) + "'");
}

}  // namespace p11signd::schemes
