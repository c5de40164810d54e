#include "tests/faulty_module/rules.h"

#include <charconv>
#include <map>
#include <sstream>
#include <stdexcept>

namespace p11faulty {
namespace {

#define P11F_RV(name) \
  { #name, name }
const std::map<std::string, CK_RV>& rv_names() {
  static const std::map<std::string, CK_RV> names{
      P11F_RV(CKR_OK),
      P11F_RV(CKR_HOST_MEMORY),
      P11F_RV(CKR_GENERAL_ERROR),
      P11F_RV(CKR_FUNCTION_FAILED),
      P11F_RV(CKR_ARGUMENTS_BAD),
      P11F_RV(CKR_DEVICE_ERROR),
      P11F_RV(CKR_DEVICE_MEMORY),
      P11F_RV(CKR_DEVICE_REMOVED),
      P11F_RV(CKR_DATA_LEN_RANGE),
      P11F_RV(CKR_KEY_HANDLE_INVALID),
      P11F_RV(CKR_KEY_FUNCTION_NOT_PERMITTED),
      P11F_RV(CKR_MECHANISM_INVALID),
      P11F_RV(CKR_OBJECT_HANDLE_INVALID),
      P11F_RV(CKR_OPERATION_ACTIVE),
      P11F_RV(CKR_OPERATION_NOT_INITIALIZED),
      P11F_RV(CKR_PIN_INCORRECT),
      P11F_RV(CKR_PIN_LOCKED),
      P11F_RV(CKR_SESSION_CLOSED),
      P11F_RV(CKR_SESSION_COUNT),
      P11F_RV(CKR_SESSION_HANDLE_INVALID),
      P11F_RV(CKR_TOKEN_NOT_PRESENT),
      P11F_RV(CKR_TOKEN_NOT_RECOGNIZED),
      P11F_RV(CKR_USER_NOT_LOGGED_IN),
      P11F_RV(CKR_CRYPTOKI_NOT_INITIALIZED),
  };
  return names;
}
#undef P11F_RV

long number(const std::string& text, const std::string& what) {
  long value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) {
    throw std::invalid_argument(what + " '" + text + "' is not a non-negative number");
  }
  return value;
}

std::chrono::milliseconds millis(const std::string& text) {
  std::string digits = text;
  if (digits.size() > 2 && digits.ends_with("ms")) digits.resize(digits.size() - 2);
  return std::chrono::milliseconds(number(digits, "duration"));
}

// The count= and for= options after a rule's fixed words.
void read_options(std::istringstream& in, Rule& rule) {
  for (std::string word; in >> word;) {
    if (word.starts_with("count=")) {
      rule.count = number(word.substr(6), "count");
    } else if (word.starts_with("for=")) {
      rule.window = millis(word.substr(4));
    } else {
      throw std::invalid_argument("unknown option '" + word + "' (count=N or for=MS)");
    }
  }
}

std::string required(std::istringstream& in, const std::string& what) {
  std::string word;
  if (!(in >> word)) throw std::invalid_argument("missing " + what);
  return word;
}

void parse_line(const std::string& line, Rules& out) {
  std::istringstream in(line.substr(0, line.find('#')));
  std::string verb;
  if (!(in >> verb)) return;
  if (verb == "fail" || verb == "delay") {
    Rule rule;
    rule.function = required(in, "function name");
    if (rule.function != "*" && !rule.function.starts_with("C_")) {
      throw std::invalid_argument("'" + rule.function + "' is not a C_ function or '*'");
    }
    if (verb == "fail") {
      const std::string name = required(in, "CKR_ code");
      const auto rv = rv_from_name(name);
      if (!rv) throw std::invalid_argument("unknown return code '" + name + "'");
      rule.rv = *rv;
    } else {
      rule.kind = Rule::Kind::kDelay;
      rule.delay = millis(required(in, "delay in ms"));
    }
    read_options(in, rule);
    out.rules.push_back(rule);
  } else if (verb == "max-sessions") {
    out.max_sessions = number(required(in, "session count"), "max-sessions");
  } else if (verb == "restart") {
    out.restart = true;
  } else if (verb == "remove") {
    out.remove = millis(required(in, "duration in ms"));
  } else {
    throw std::invalid_argument("unknown rule '" + verb + "'");
  }
  if (std::string rest; in >> rest) throw std::invalid_argument("unexpected '" + rest + "'");
}

}  // namespace

std::optional<CK_RV> rv_from_name(const std::string& name) {
  if (name.starts_with("0x")) {
    CK_RV value = 0;
    const auto [end, ec] = std::from_chars(name.data() + 2, name.data() + name.size(), value, 16);
    if (ec == std::errc() && end == name.data() + name.size()) return value;
    return std::nullopt;
  }
  const auto it = rv_names().find(name);
  if (it == rv_names().end()) return std::nullopt;
  return it->second;
}

Rules parse_rules(const std::string& text) {
  Rules out;
  std::istringstream lines(text);
  int number_of_line = 0;
  for (std::string line; std::getline(lines, line);) {
    ++number_of_line;
    try {
      parse_line(line, out);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument("line " + std::to_string(number_of_line) + ": " + e.what());
    }
  }
  return out;
}

}  // namespace p11faulty
