#include "daemon/routes/json_text.h"

#include "common/utf8.h"

namespace p11signd::daemon {

nlohmann::ordered_json with_escaped_strings(const nlohmann::ordered_json& value) {
  if (value.is_string()) return escape_invalid_utf8(value.get_ref<const std::string&>());
  if (value.is_array()) {
    auto out = nlohmann::ordered_json::array();
    for (const auto& item : value) out.push_back(with_escaped_strings(item));
    return out;
  }
  if (value.is_object()) {
    auto out = nlohmann::ordered_json::object();
    for (const auto& [key, item] : value.items()) {
      out[escape_invalid_utf8(key)] = with_escaped_strings(item);
    }
    return out;
  }
  return value;
}

std::string dump_json(const nlohmann::ordered_json& value) {
  try {
    return value.dump();
  } catch (const nlohmann::ordered_json::type_error&) {
    // Only invalid UTF-8 makes dump() throw; the escaped copy cannot, and replace is the backstop
    // should a later library version find something else to refuse.
    return with_escaped_strings(value).dump(-1, ' ', false,
                                            nlohmann::ordered_json::error_handler_t::replace);
  }
}

}  // namespace p11signd::daemon
