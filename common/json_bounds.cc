#include "common/json_bounds.h"

#include <nlohmann/json.hpp>
#include <vector>

namespace p11signd {
namespace {

// nlohmann's SAX parser is iterative and linear; this handler keeps one counter per open container.
class BoundsSax final : public nlohmann::json_sax<nlohmann::json> {
 public:
  BoundsSax(const std::set<std::string, std::less<>>& wanted, JsonScan& out)
      : wanted_(wanted), out_(out) {}

  bool null() override { return value(); }
  bool boolean(bool) override { return value(); }
  bool number_integer(number_integer_t) override { return value(); }
  bool number_unsigned(number_unsigned_t) override { return value(); }
  bool number_float(number_float_t, const string_t&) override { return value(); }
  bool binary(binary_t&) override { return value(); }
  bool string(string_t& s) override {
    if (!top_member_.empty()) {
      if (!out_.strings.emplace(top_member_, s).second) {
        return fail(JsonScan::Problem::kDuplicate, "member '" + top_member_ + "' appears twice");
      }
    }
    return value();
  }
  bool start_object(std::size_t) override { return open(true); }
  bool start_array(std::size_t) override { return open(false); }
  bool end_object() override { return close(); }
  bool end_array() override { return close(); }
  bool key(string_t& k) override {
    if (++open_.back().members > kMaxJsonMembers) {
      return fail(JsonScan::Problem::kTooManyMembers,
                  "has an object of more than " + std::to_string(kMaxJsonMembers) + " members");
    }
    if (open_.size() == 1 && wanted_.count(k)) top_member_ = k;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    return fail(JsonScan::Problem::kSyntax, std::string("is not valid JSON: ") + e.what());
  }

 private:
  struct Open {
    std::size_t members = 0;
  };
  bool value() {
    top_member_.clear();
    return true;
  }
  bool open(bool object) {
    if (open_.empty()) out_.object = object;
    top_member_.clear();
    if (open_.size() >= kMaxJsonDepth) {
      return fail(JsonScan::Problem::kTooDeep,
                  "nests deeper than " + std::to_string(kMaxJsonDepth) + " levels");
    }
    open_.push_back({});
    return true;
  }
  bool close() {
    open_.pop_back();
    return true;
  }
  bool fail(JsonScan::Problem problem, std::string message) {
    out_.problem = problem;
    out_.message = std::move(message);
    return false;
  }

  const std::set<std::string, std::less<>>& wanted_;
  JsonScan& out_;
  std::vector<Open> open_;
  std::string top_member_;  // a wanted member whose value comes next
};

}  // namespace

JsonScan scan_json(std::string_view text, const std::set<std::string, std::less<>>& wanted) {
  JsonScan out;
  BoundsSax sax(wanted, out);
  const bool done = nlohmann::json::sax_parse(text.begin(), text.end(), &sax);
  if (!done && out.ok()) {
    out.problem = JsonScan::Problem::kSyntax;
    out.message = "is not valid JSON";
  }
  if (!out.ok()) {
    out.object = false;
    out.strings.clear();
  }
  return out;
}

}  // namespace p11signd
