#include "schemes/registry.h"

#include <algorithm>
#include <stdexcept>

#include "schemes/alipay.h"
#include "schemes/alipay_v3.h"
#include "schemes/amazonpay.h"
#include "schemes/carat.h"
#include "schemes/cavage.h"
#include "schemes/client_assertion.h"
#include "schemes/httpsig.h"
#include "schemes/jws.h"
#include "schemes/mypos.h"
#include "schemes/ob_jws.h"
#include "schemes/raw.h"
#include "schemes/swifood.h"
#include "schemes/wechatpay.h"

namespace p11signd::schemes {

void SchemeRegistry::add(std::unique_ptr<Scheme> scheme) {
  if (find(scheme->name()) != nullptr) {
    throw std::invalid_argument("scheme '" + scheme->name() + "' is registered twice");
  }
  schemes_.push_back(std::move(scheme));
}

const Scheme* SchemeRegistry::find(std::string_view name) const {
  for (const auto& s : schemes_) {
    if (s->name() == name) return s.get();
  }
  return nullptr;
}

std::vector<const Scheme*> SchemeRegistry::list() const {
  std::vector<const Scheme*> out;
  for (const auto& s : schemes_) out.push_back(s.get());
  std::sort(out.begin(), out.end(),
            [](const Scheme* a, const Scheme* b) { return a->name() < b->name(); });
  return out;
}

void register_builtin_schemes(SchemeRegistry& registry, Clock clock) {
  registry.add(std::make_unique<RawScheme>());
  registry.add(std::make_unique<MyposScheme>());
  registry.add(std::make_unique<SwifoodScheme>());
  registry.add(std::make_unique<CaratScheme>(clock));
  registry.add(std::make_unique<JwsScheme>());
  registry.add(std::make_unique<AmazonPayScheme>(clock));
  registry.add(std::make_unique<AlipayScheme>());
  registry.add(std::make_unique<WechatPayScheme>(clock));
  registry.add(std::make_unique<HttpsigScheme>(clock));
  registry.add(std::make_unique<ObJwsScheme>(clock));
  registry.add(std::make_unique<ClientAssertionScheme>(clock, openssl_random));
  registry.add(std::make_unique<CavageScheme>(clock));
  registry.add(std::make_unique<AlipayV3Scheme>(clock));
}

}  // namespace p11signd::schemes
