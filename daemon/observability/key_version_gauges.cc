#include "daemon/observability/key_version_gauges.h"
#include "common/openssl_ptr.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <ctime>
#include <memory>

namespace p11signd::daemon {
namespace {

// The versions of a key, or none when it went away since the list was read (a reload).
std::vector<KeyInfo> versions_of(const KeyStore& store, const std::string& name) {
  try {
    return store.versions(name);
  } catch (const StoreError&) {
    return {};
  }
}

std::optional<std::int64_t> read_not_after(const KeyStore& store, const std::string& name,
                                           unsigned version) {
  try {
    const auto pem = store.certificate_pem(KeyRef(name, {}, version));
    return pem ? certificate_not_after(*pem) : std::nullopt;
  } catch (const StoreError&) {
    return std::nullopt;
  }
}

std::string rfc3339(std::int64_t unix_time) {
  const auto t = static_cast<std::time_t>(unix_time);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

std::string expiry_message(const std::string& name, unsigned version, std::int64_t not_after,
                           std::int64_t now) {
  const std::string which =
      "the certificate of key '" + name + "' version " + std::to_string(version) + " (active)";
  const std::int64_t days = (not_after - now) / 86400;
  if (not_after <= now) return which + " expired on " + rfc3339(not_after);
  return which + " expires on " + rfc3339(not_after) + ", in " + std::to_string(days) +
         (days == 1 ? " day" : " days");
}

}  // namespace

std::optional<std::int64_t> certificate_not_after(std::string_view pem) {
  BioPtr in(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!in) return std::nullopt;
  X509Ptr cert(PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr));
  std::tm tm{};
  if (!cert || ASN1_TIME_to_tm(X509_get0_notAfter(cert.get()), &tm) != 1) return std::nullopt;
  return static_cast<std::int64_t>(timegm(&tm));
}

std::vector<KeyVersionGauge> key_version_gauges(const KeyStore& store, bool read_certificates) {
  std::vector<KeyVersionGauge> gauges;
  for (const KeyInfo& key : store.keys()) {
    for (const KeyInfo& version : versions_of(store, key.name)) {
      KeyVersionGauge gauge{key.name, version.version, std::string(to_string(version.state)), {}};
      if (read_certificates && is_published(version.state)) {
        gauge.certificate_not_after = read_not_after(store, key.name, version.version);
      }
      gauges.push_back(std::move(gauge));
    }
  }
  return gauges;
}

nlohmann::ordered_json certificate_warnings(const KeyStore& store,
                                            std::chrono::system_clock::time_point now,
                                            std::chrono::days within) {
  auto warnings = nlohmann::ordered_json::array();
  if (within.count() == 0) return warnings;
  const std::int64_t now_s = std::chrono::system_clock::to_time_t(now);
  const std::int64_t horizon = now_s + std::chrono::seconds(within).count();
  for (const KeyInfo& key : store.keys()) {
    for (const KeyInfo& version : versions_of(store, key.name)) {
      if (version.state != VersionState::kActive) continue;
      const auto not_after = read_not_after(store, key.name, version.version);
      if (!not_after || *not_after > horizon) continue;
      warnings.push_back(
          {{"key", key.name},
           {"version", version.version},
           {"not_after", rfc3339(*not_after)},
           {"message", expiry_message(key.name, version.version, *not_after, now_s)}});
    }
  }
  return warnings;
}

}  // namespace p11signd::daemon
