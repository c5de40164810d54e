#pragma once
// What /metrics and /v1/health say about a key's versions (docs/api.md): each version's state, and
// when the certificate beside it expires. The states come from the store's snapshot; the
// certificates are read on the token, which may wait behind the admin lock (a key generation), so
// the functions that read them run on a worker, never on the event loop.

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <vector>

#include "daemon/keystore/keystore.h"
#include "daemon/observability/metrics.h"

namespace p11signd::daemon {

// A PEM certificate's notAfter as Unix time (parsed by OpenSSL); nullopt when the text holds no
// certificate.
std::optional<std::int64_t> certificate_not_after(std::string_view pem);

// Every version of every key of the store, keys by name and versions oldest first. With
// read_certificates, each published version (pending, active, retiring) that has a certificate
// carries its notAfter; a certificate that cannot be read (the token is down) is left out, so the
// rest is still reported.
std::vector<KeyVersionGauge> key_version_gauges(const KeyStore& store, bool read_certificates);

// /v1/health's "warnings": one {"key","version","not_after","message"} for each key whose active
// version's certificate expires before now + within (or has expired). Empty when within is 0.
nlohmann::ordered_json certificate_warnings(const KeyStore& store,
                                            std::chrono::system_clock::time_point now,
                                            std::chrono::days within);

}  // namespace p11signd::daemon
