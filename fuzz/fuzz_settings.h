#pragma once
// What the fuzz targets share: key settings under which every scheme can sign (so the fuzzer
// reaches the canonicalisation, not only the "missing setting" answer), and the repository's test
// material.

#include <string>

namespace p11signd::fuzz {

// The scheme settings of one key, as lines of a [key.NAME] section.
inline constexpr const char* kSchemeSettingsIni =
    "mypos.sid = 000000000000010\n"
    "mypos.wallet-number = 61938166610\n"
    "mypos.key-index = 1\n"
    "swifood.app-id = fuzz-app\n"
    "swifood.store-key = fuzz-store\n"
    "carat.merchant-id = LOJATESTE\n"
    "jws.kid = fuzz-kid\n"
    "amazonpay.public-key-id = AFUZZ\n"
    "amazonpay.region = eu\n"
    "alipay.app-id = 2021000000000000\n"
    "alipay-v3.app-id = 2021000000000000\n"
    "wechatpay.mchid = 1900000001\n"
    "wechatpay.serial-no = 5157F09EFDC096DE15EBE81A47057A7232F1B8E1\n"
    "ob-jws.kid = fuzz-kid\n"
    "ob-jws.iss = fuzz-org/fuzz-software\n"
    "client-assertion.client-id = fuzz-client\n"
    "client-assertion.audience = https://as.example/token\n";

inline std::string testdata(const std::string& relative) {
  return std::string(P11SIGND_SOURCE_DIR) + "/" + relative;
}

}  // namespace p11signd::fuzz
