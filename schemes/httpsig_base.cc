#include "schemes/httpsig_base.h"

#include <algorithm>
#include <optional>

#include "common/encoding.h"
#include "schemes/url_encoding.h"

namespace p11signd::schemes {
namespace {

using sf::BareItem;
using sf::Item;

[[noreturn]] void fail(const Item& id, std::string_view why) {
  throw ComponentError("component " + sf::serialize(id) + ": " + std::string(why));
}

bool has_flag(const Item& id, std::string_view key) {
  return sf::find_param(id.params, key) != nullptr;
}

std::optional<std::string> string_param(const Item& id, std::string_view key) {
  const BareItem* v = sf::find_param(id.params, key);
  if (v == nullptr) return std::nullopt;
  const auto* s = std::get_if<std::string>(v);
  if (s == nullptr) fail(id, "parameter " + std::string(key) + " must be a String");
  return *s;
}

const std::string& name_of(const Item& id) { return std::get<std::string>(id.value); }

// The structured type of the fields RFC 9421 and RFC 9530 sign most often; the caller's table
// adds others.
std::optional<FieldType> field_type(const std::string& name, const FieldTypes* extra) {
  if (extra != nullptr) {
    if (const auto it = extra->find(name); it != extra->end()) return it->second;
  }
  static const std::map<std::string, FieldType, std::less<>> kKnown = {
      {"signature", FieldType::kDictionary},
      {"signature-input", FieldType::kDictionary},
      {"content-digest", FieldType::kDictionary},
      {"repr-digest", FieldType::kDictionary},
      {"want-content-digest", FieldType::kDictionary},
      {"want-repr-digest", FieldType::kDictionary},
      {"priority", FieldType::kDictionary},
      {"accept-signature", FieldType::kDictionary},
      {"cache-status", FieldType::kList},
      {"proxy-status", FieldType::kList},
      {"accept-ch", FieldType::kList},
      {"client-cert", FieldType::kItem},
  };
  if (const auto it = kKnown.find(name); it != kKnown.end()) return it->second;
  return std::nullopt;
}

std::string join(const std::vector<std::string>& values) {
  std::string out;
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ", ";
    out += values[i];
  }
  return out;
}

std::string reserialize(const Item& id, const std::string& combined, FieldType type) {
  try {
    switch (type) {
      case FieldType::kItem:
        return sf::serialize(sf::parse_item(combined));
      case FieldType::kList:
        return sf::serialize(sf::parse_list(combined));
      case FieldType::kDictionary:
        return sf::serialize(sf::parse_dictionary(combined));
    }
  } catch (const sf::ParseError& e) {
    fail(id, std::string("the field is not a valid structured field: ") + e.what());
  }
  return combined;
}

std::string dictionary_member(const Item& id, const std::string& combined, const std::string& key) {
  sf::Dictionary dict;
  try {
    dict = sf::parse_dictionary(combined);
  } catch (const sf::ParseError& e) {
    fail(id, std::string("the field is not a structured Dictionary: ") + e.what());
  }
  const sf::Member* member = sf::find_member(dict, key);
  if (member == nullptr) fail(id, "the Dictionary has no member '" + key + "'");
  return sf::serialize(*member);
}

// RFC 9421 2.1: the combined field value, or as ;sf, ;key or ;bs transform it.
std::string field_value(const Item& id, const HttpMessage& msg, const FieldTypes* types) {
  const std::string& name = name_of(id);
  if (name != lowercase(name)) fail(id, "field names must be lowercase");
  const auto values = msg.field_values(name);
  if (values.empty()) fail(id, "the message has no " + name + " field");
  const auto key = string_param(id, "key");
  const bool sf_flag = has_flag(id, "sf");
  if (has_flag(id, "bs")) {
    if (sf_flag || key) fail(id, "bs cannot be combined with sf or key");
    std::vector<std::string> wrapped;
    for (const auto& v : values) wrapped.push_back(":" + base64_encode(as_bytes(v)) + ":");
    return join(wrapped);
  }
  const std::string combined = join(values);
  if (key) return dictionary_member(id, combined, *key);
  if (!sf_flag) return combined;
  const auto type = field_type(name, types);
  if (!type) fail(id, "the structured type of " + name + " is not known; name it in field_types");
  return reserialize(id, combined, *type);
}

bool is_query_unreserved(unsigned char c) {
  return std::isalnum(c) != 0 || c == '*' || c == '-' || c == '.' || c == '_';
}

// RFC 9421 2.2.8: the application/x-www-form-urlencoded percent-encode set, a space as %20.
std::string query_param_encode(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (is_query_unreserved(c)) {
      out.push_back(static_cast<char>(c));
    } else {
      out += {'%', kHex[c >> 4], kHex[c & 15]};
    }
  }
  return out;
}

std::string query_param_value(const Item& id, const TargetUri& uri) {
  const auto wanted = string_param(id, "name");
  if (!wanted) fail(id, "@query-param needs a name parameter");
  const auto pairs = form_decode_pairs(uri.query.value_or(""));
  if (!pairs) fail(id, "the query holds a broken percent-escape");
  std::optional<std::string> found;
  for (const auto& [n, v] : *pairs) {
    if (query_param_encode(n) != *wanted) continue;
    if (found) fail(id, "the parameter occurs more than once in the query");
    found = query_param_encode(v);
  }
  if (!found) fail(id, "the query has no parameter " + *wanted);
  return *found;
}

std::string request_derived(const Item& id, const HttpMessage& msg) {
  const std::string& name = name_of(id);
  if (msg.is_response())
    fail(id, "a response has no " + name + "; add ;req to take it from the request");
  if (name == "@method") {
    if (msg.method.empty()) fail(id, "the message has no method");
    return msg.method;
  }
  if (msg.target_uri.empty()) fail(id, "the message has no target URI");
  // The target URI of RFC 9110 7.1 has no fragment: a client never sends one.
  if (name == "@target-uri") return msg.target_uri.substr(0, msg.target_uri.find('#'));
  TargetUri uri;
  try {
    uri = parse_target_uri(msg.target_uri);
  } catch (const MessageError& e) {
    fail(id, e.what());
  }
  if (name == "@authority") return uri.authority;
  if (name == "@scheme") return uri.scheme;
  if (name == "@path") return uri.path;
  if (name == "@query") return "?" + uri.query.value_or("");
  if (name == "@request-target") return uri.path + (uri.query ? "?" + *uri.query : "");
  if (name == "@query-param") return query_param_value(id, uri);
  fail(id, "unknown derived component");
}

std::string derived_value(const Item& id, const HttpMessage& msg) {
  if (name_of(id) == "@status") {
    if (!msg.is_response()) fail(id, "@status is only defined for responses");
    return std::to_string(*msg.status);
  }
  if (name_of(id) == "@signature-params") fail(id, "cannot be covered");
  return request_derived(id, msg);
}

// RFC 9421 2.1 and 2.2 define these parameters; any other would change the value in a way this
// signer cannot know. ;tr (trailers) is defined but trailers are not taken here.
void check_params(const Item& id) {
  for (const auto& [k, v] : id.params) {
    const bool flag = std::holds_alternative<bool>(v) && std::get<bool>(v);
    if (k == "sf" || k == "bs" || k == "req") {
      if (!flag) fail(id, "parameter " + k + " is a flag (no value)");
    } else if (k == "key" || k == "name") {
      if (!std::holds_alternative<std::string>(v)) fail(id, "parameter " + k + " must be a String");
    } else if (k == "tr") {
      fail(id, "trailer fields (;tr) are not supported");
    } else {
      fail(id, "unknown parameter " + k);
    }
  }
  const bool derived = name_of(id).starts_with('@');
  if (has_flag(id, "name") && name_of(id) != "@query-param")
    fail(id, "only @query-param takes name");
  if (derived && (has_flag(id, "sf") || has_flag(id, "key") || has_flag(id, "bs"))) {
    fail(id, "sf, key and bs apply to fields only");
  }
}

bool same_identifier(const Item& a, const Item& b) {
  if (a.value != b.value || a.params.size() != b.params.size()) return false;
  return std::all_of(a.params.begin(), a.params.end(), [&](const auto& p) {
    const BareItem* other = sf::find_param(b.params, p.first);
    return other != nullptr && *other == p.second;
  });
}

}  // namespace

void check_covered_components(const sf::InnerList& signature_params) {
  const auto& items = signature_params.items;
  for (size_t i = 0; i < items.size(); ++i) {
    const Item& id = items[i];
    if (!std::holds_alternative<std::string>(id.value) || name_of(id).empty()) {
      throw ComponentError("component " + sf::serialize(id) + ": an identifier must be a String");
    }
    check_params(id);
    for (size_t j = 0; j < i; ++j) {
      if (same_identifier(items[j], id)) fail(id, "is covered twice");
    }
  }
}

std::string component_value(const Item& id, const BaseContext& ctx) {
  const HttpMessage* source = &ctx.message;
  if (has_flag(id, "req")) {
    if (!ctx.message.is_response()) fail(id, "req applies to a response's signature only");
    if (ctx.request == nullptr) fail(id, "req needs the request the response answers");
    source = ctx.request;
  }
  std::string value = name_of(id).starts_with('@') ? derived_value(id, *source)
                                                   : field_value(id, *source, ctx.field_types);
  if (value.find_first_of("\r\n") != std::string::npos) fail(id, "the value holds a line break");
  return value;
}

std::string signature_base(const sf::InnerList& signature_params, const BaseContext& ctx) {
  check_covered_components(signature_params);
  std::string base;
  for (const Item& id : signature_params.items) {
    base += sf::serialize(id) + ": " + component_value(id, ctx) + "\n";
  }
  return base + "\"@signature-params\": " + sf::serialize(signature_params);
}

}  // namespace p11signd::schemes
