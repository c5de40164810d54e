#include "common/json_bounds.h"

#include <nlohmann/json.hpp>
#include <unordered_map>
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

// Builds the value as nlohmann's DOM parser does, but finds a repeated member through a hash index
// per open object instead of a search through its members.
class OrderedBuilder final : public nlohmann::json_sax<nlohmann::ordered_json> {
 public:
  using Json = nlohmann::ordered_json;

  bool null() override { return place(nullptr); }
  bool boolean(bool v) override { return place(v); }
  bool number_integer(number_integer_t v) override { return place(v); }
  bool number_unsigned(number_unsigned_t v) override { return place(v); }
  bool number_float(number_float_t v, const string_t&) override { return place(v); }
  bool string(string_t& v) override { return place(std::move(v)); }
  bool binary(binary_t& v) override { return place(Json::binary(std::move(v))); }
  bool start_object(std::size_t) override { return open(Json::object()); }
  bool start_array(std::size_t) override { return open(Json::array()); }
  bool key(string_t& k) override {
    key_ = std::move(k);
    return true;
  }
  bool end_object() override { return close(); }
  bool end_array() override { return close(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    throw nlohmann::json::parse_error::create(101, 0, e.what(), nullptr);
  }

  Json take() { return std::move(root_); }

 private:
  struct Open {
    Json* value;
    std::unordered_map<std::string, std::size_t> members;  // objects: name -> place
  };

  Json* put(Json&& v) {
    if (open_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    Open& top = open_.back();
    if (top.value->is_array()) {
      top.value->push_back(std::move(v));
      return &top.value->back();
    }
    auto& members = top.value->get_ref<Json::object_t&>();
    const auto [it, fresh] = top.members.try_emplace(key_, members.size());
    if (fresh) {
      members.emplace_back(key_, std::move(v));  // the vector's own: no search for the name
    } else {
      (members.begin() + static_cast<std::ptrdiff_t>(it->second))->second = std::move(v);
    }
    return &(members.begin() + static_cast<std::ptrdiff_t>(it->second))->second;
  }
  bool place(Json&& v) {
    put(std::move(v));
    return true;
  }
  // A container's place never moves while it is open: only it grows meanwhile, not its parent.
  bool open(Json&& v) {
    open_.push_back({put(std::move(v)), {}});
    return true;
  }
  bool close() {
    open_.pop_back();
    return true;
  }

  Json root_;
  std::vector<Open> open_;
  std::string key_;
};

}  // namespace

nlohmann::ordered_json parse_ordered(std::string_view text) {
  OrderedBuilder builder;
  nlohmann::ordered_json::sax_parse(text.begin(), text.end(), &builder);
  return builder.take();
}

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
