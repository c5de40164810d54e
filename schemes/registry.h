#pragma once
// The schemes the daemon serves, by name. Filled explicitly (register_builtin_schemes from main()
// and from tests) rather than by static self-registration, so nothing depends on link order and
// there is no global state.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "schemes/scheme.h"

namespace p11signd::schemes {

class SchemeRegistry {
 public:
  // Throws std::invalid_argument when a scheme of that name is already registered.
  void add(std::unique_ptr<Scheme> scheme);
  // nullptr when unknown (the daemon answers 404).
  const Scheme* find(std::string_view name) const;
  // Sorted by name.
  std::vector<const Scheme*> list() const;

 private:
  std::vector<std::unique_ptr<Scheme>> schemes_;
};

// Adds raw, mypos, swifood, carat, jws, amazonpay, alipay and wechatpay. The clock serves the
// schemes that put a time into what they sign or check one (carat, amazonpay, wechatpay).
void register_builtin_schemes(
    SchemeRegistry& registry, Clock clock = [] { return std::chrono::system_clock::now(); });

}  // namespace p11signd::schemes
