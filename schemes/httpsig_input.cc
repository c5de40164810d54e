#include "schemes/httpsig_input.h"

#include "common/encoding.h"
#include "schemes/json_input.h"

namespace p11signd::schemes {
namespace {

void add_field_lines(HttpMessage& msg, const std::string& name, const Json& value,
                     const std::string& field) {
  if (value.is_string()) {
    msg.fields.emplace_back(name, value.get<std::string>());
    return;
  }
  if (!value.is_array()) throw_bad_request(field, "must be a string or an array of strings");
  for (const auto& line : value) {
    if (!line.is_string()) throw_bad_request(field, "must be a string or an array of strings");
    msg.fields.emplace_back(name, line.get<std::string>());
  }
}

void read_headers(HttpMessage& msg, const Json& obj, const std::string& prefix) {
  const auto it = obj.find("headers");
  if (it == obj.end() || it->is_null()) return;
  if (!it->is_object()) throw_bad_request(prefix + "headers", "must be a JSON object");
  for (const auto& [name, value] : it->items()) {
    const std::string field = prefix + "headers." + name;
    if (name.empty() || name.find_first_of(" \t\r\n:") != std::string::npos) {
      throw_bad_request(field, "is not an HTTP field name");
    }
    add_field_lines(msg, name, value, field);
  }
  for (const auto& [name, value] : msg.fields) {
    if (value.find_first_of("\r\n") != std::string::npos) {
      throw_bad_request(prefix + "headers." + name, "holds a line break");
    }
  }
}

void read_body(HttpMessage& msg, const Json& obj, const std::string& prefix) {
  const bool text = obj.contains("body");
  const bool b64 = obj.contains("body_b64");
  if (text && b64) throw_bad_request(prefix + "body", "give at most one of body and body_b64");
  if (text) msg.body = require_string(obj, "body");
  if (b64) {
    const Bytes bytes = require_base64(obj, "body_b64");
    msg.body.assign(bytes.begin(), bytes.end());
  }
}

void read_control_data(HttpMessage& msg, const Json& obj, const std::string& prefix) {
  if (const auto it = obj.find("status"); it != obj.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<long long>() < 100 || it->get<long long>() > 999) {
      throw_bad_request(prefix + "status", "must be a three-digit integer");
    }
    msg.status = it->get<int>();
  }
  if (const auto m = optional_string(obj, "method")) msg.method = *m;
  if (const auto u = optional_string(obj, "target_uri")) msg.target_uri = *u;
  if (!msg.status && msg.method.empty()) {
    throw_missing(prefix + "method", "a request needs method and target_uri (a response: status)");
  }
  if (!msg.status && msg.target_uri.empty()) {
    throw_missing(prefix + "target_uri", "a request needs method and target_uri");
  }
  for (char c : msg.method) {
    if (c <= ' ' || c == 0x7f) throw_bad_request(prefix + "method", "is not an HTTP method token");
  }
}

}  // namespace

HttpMessage message_from_json(const Json& obj, const std::string& prefix) {
  if (!obj.is_object())
    throw_bad_request(prefix.empty() ? "input" : prefix, "must be a JSON object");
  HttpMessage msg;
  read_control_data(msg, obj, prefix);
  read_headers(msg, obj, prefix);
  read_body(msg, obj, prefix);
  return msg;
}

bool has_body(const Json& obj) { return obj.contains("body") || obj.contains("body_b64"); }

std::optional<sf::Item> parse_component(const std::string& text) {
  std::string item_text = text;
  if (!text.starts_with('"')) {
    const auto semi = text.find(';');
    const std::string name = text.substr(0, semi);
    if (name.find_first_of("\"\\ ") != std::string::npos) return std::nullopt;
    item_text = "\"" + name + "\"" + (semi == std::string::npos ? "" : text.substr(semi));
  }
  try {
    sf::Item item = sf::parse_item(item_text);
    if (!std::holds_alternative<std::string>(item.value)) return std::nullopt;
    return item;
  } catch (const sf::ParseError&) {
    return std::nullopt;
  }
}

std::vector<sf::Item> components_from_json(const Json& arr, const std::string& field) {
  if (!arr.is_array()) throw_bad_request(field, "must be an array of component identifiers");
  std::vector<sf::Item> out;
  for (size_t i = 0; i < arr.size(); ++i) {
    const std::string where = field + "[" + std::to_string(i) + "]";
    if (!arr[i].is_string()) throw_bad_request(where, "must be a string");
    auto item = parse_component(arr[i].get<std::string>());
    if (!item)
      throw_bad_request(where, "is not a component identifier (\"@method\", \"content-type;sf\")");
    out.push_back(std::move(*item));
  }
  return out;
}

std::vector<sf::Item> components_from_setting(const std::string& text, const std::string& setting) {
  try {
    sf::InnerList list = sf::parse_inner_list("(" + text + ")");
    for (const auto& item : list.items) {
      if (!std::holds_alternative<std::string>(item.value)) {
        throw_unprocessable(setting,
                            "every component must be a quoted String: " + sf::serialize(item));
      }
    }
    return list.items;
  } catch (const sf::ParseError& e) {
    throw_unprocessable(
        setting, std::string("is not a list of quoted component identifiers (") + e.what() + ")");
  }
}

FieldTypes field_types_from_json(const Json& input) {
  FieldTypes out;
  const auto it = input.find("field_types");
  if (it == input.end() || it->is_null()) return out;
  if (!it->is_object()) throw_bad_request("field_types", "must be a JSON object");
  for (const auto& [name, type] : it->items()) {
    const std::string field = "field_types." + name;
    const std::string t = type.is_string() ? type.get<std::string>() : "";
    if (t == "item") {
      out[lowercase(name)] = FieldType::kItem;
    } else if (t == "list") {
      out[lowercase(name)] = FieldType::kList;
    } else if (t == "dictionary") {
      out[lowercase(name)] = FieldType::kDictionary;
    } else {
      throw_bad_request(field, "must be \"item\", \"list\" or \"dictionary\"");
    }
  }
  return out;
}

bool is_sf_key(const std::string& text) {
  if (text.empty() || !((text[0] >= 'a' && text[0] <= 'z') || text[0] == '*')) return false;
  for (char c : text) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
                    c == '.' || c == '*';
    if (!ok) return false;
  }
  return true;
}

}  // namespace p11signd::schemes
