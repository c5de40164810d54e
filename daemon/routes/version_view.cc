#include "daemon/routes/version_view.h"

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <ctime>
#include <map>
#include <memory>

#include "common/encoding.h"
#include "common/openssl_ptr.h"
#include "daemon/routes/public_key.h"

namespace p11signd::daemon {
namespace {

using Json = nlohmann::ordered_json;

std::optional<std::string> setting(const schemes::KeySettings& settings, const std::string& name) {
  const auto it = settings.find(name);
  if (it == settings.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

// {"subject":"CN=...","not_after":"2027-12-06T00:00:00Z"}; null when the PEM is no certificate.
Json certificate_summary(const std::string& pem) {
  BioPtr in(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr cert(PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr));
  if (!cert) return nullptr;
  BioPtr subject(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(subject.get(), X509_get_subject_name(cert.get()), 0, XN_FLAG_RFC2253);
  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert.get()), &tm) != 1) return nullptr;
  char not_after[32];
  std::strftime(not_after, sizeof not_after, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return {{"subject", bio_text(subject.get())}, {"not_after", not_after}};
}

// The type as POST /v1/keys/NAME/versions takes it: "rsa", "ec" (with its curve) or "ed25519".
std::string type_name(KeyType type) {
  switch (type) {
    case KeyType::kRsa:
      return "rsa";
    case KeyType::kEcP256:
    case KeyType::kEcP384:
      return "ec";
    case KeyType::kEd25519:
      return "ed25519";
  }
  return "unknown";
}

}  // namespace

std::string version_kid(const KeyInfo& version, const schemes::KeySettings& configured) {
  if (auto own = setting(version.settings, "jws.kid")) return *own;
  if (version.version == 1) {
    if (auto kid = setting(configured, "jws.kid")) return *kid;
  }
  return version.name + "-v" + std::to_string(version.version);
}

schemes::KeySettings signing_settings(const KeyInfo& version,
                                      const schemes::KeySettings& configured) {
  schemes::KeySettings out = configured;
  if (version.version != 1) {
    for (const auto& kid : kKidSettings) out[kid] = version_kid(version, configured);
  }
  for (const auto& [name, value] : version.settings) out[name] = value;
  return out;
}

Json version_json(const KeyInfo& version, const schemes::KeySettings& configured,
                  const std::optional<std::string>& certificate_pem) {
  Json settings = Json::object();
  for (const auto& [name, value] : version.settings) settings[name] = value;
  Json out = {{"version", version.version},
              {"state", std::string(to_string(version.state))},
              {"type", type_name(version.type)},
              {"bits", version.bits}};
  if (version.type == KeyType::kEcP256) out["curve"] = "P-256";
  if (version.type == KeyType::kEcP384) out["curve"] = "P-384";
  out["fingerprint_sha256"] = version.fingerprint_sha256;
  out["created"] = version.created.empty() ? Json(nullptr) : Json(version.created);
  out["kid"] = version_kid(version, configured);
  out["settings"] = settings;
  out["certificate"] = certificate_pem ? certificate_summary(*certificate_pem) : Json(nullptr);
  return out;
}

Json jwks_json(const std::vector<KeyInfo>& versions, const schemes::KeySettings& configured) {
  Json keys = Json::array();
  for (const auto& version : versions) {
    if (!is_published(version.state)) continue;
    Json jwk = spki_jwk(version.spki_der);
    jwk["kid"] = version_kid(version, configured);
    jwk["use"] = "sig";
    keys.push_back(std::move(jwk));
  }
  return {{"keys", keys}};
}

std::vector<KeyInfo> verification_order(const std::vector<KeyInfo>& versions,
                                        const std::optional<std::string>& kid,
                                        const schemes::KeySettings& configured) {
  const auto named = [&](const KeyInfo& v) {
    if (!kid) return false;
    if (version_kid(v, configured) == *kid) return true;
    const auto settings = signing_settings(v, configured);
    return std::any_of(kKidSettings.begin(), kKidSettings.end(), [&](const std::string& name) {
      const auto it = settings.find(name);
      return it != settings.end() && it->second == *kid;
    });
  };
  std::vector<KeyInfo> out;
  for (const auto& v : versions) {
    if (is_published(v.state)) out.push_back(v);
  }
  const auto rank = [&](const KeyInfo& v) {
    return named(v) ? 0 : v.state == VersionState::kActive ? 1 : 2;
  };
  std::stable_sort(out.begin(), out.end(), [&](const KeyInfo& a, const KeyInfo& b) {
    return rank(a) != rank(b) ? rank(a) < rank(b) : a.version > b.version;
  });
  return out;
}

std::optional<std::string> signature_kid(const std::string& scheme, const Json& input) {
  // The member holding the compact JWS each of these schemes verifies.
  static const std::map<std::string, std::string> kJwsMember = {
      {"jws", "jws"}, {"ob-jws", "x-jws-signature"}, {"client-assertion", "client_assertion"}};
  const auto member = kJwsMember.find(scheme);
  if (member == kJwsMember.end()) return std::nullopt;
  const auto it = input.find(member->second);
  if (it == input.end() || !it->is_string()) return std::nullopt;
  const std::string compact = it->get<std::string>();
  const auto header = base64url_decode(compact.substr(0, compact.find('.')));
  if (!header) return std::nullopt;
  const auto parsed = nlohmann::json::parse(header->begin(), header->end(), nullptr, false);
  if (!parsed.is_object() || !parsed.contains("kid") || !parsed["kid"].is_string()) {
    return std::nullopt;
  }
  return parsed["kid"].get<std::string>();
}

std::optional<unsigned> parse_version_number(const std::string& text) {
  if (text.empty() || text.size() > 9 || text.front() == '0') return std::nullopt;
  if (!std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  return static_cast<unsigned>(std::stoul(text));
}

}  // namespace p11signd::daemon
