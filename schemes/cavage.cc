#include "schemes/cavage.h"

#include <algorithm>

#include "common/encoding.h"
#include "schemes/ascii.h"
#include "schemes/cavage_certificate.h"
#include "schemes/json_input.h"
#include "schemes/peer_key.h"

namespace p11signd::schemes {
namespace {

constexpr SignRequest kRsaSha256{SignAlg::kRsaPkcs1Sha256, 0};
constexpr const char* kAlgorithm = "rsa-sha256";

// Headers the scheme makes: the caller may not give them, and a key may not list the last two (they
// are made after the signature).
constexpr const char* kComputed[] = {"digest", "signature", "tpp-signature-certificate"};

struct SignSettings {
  std::vector<CoveredHeader> covered;
  DigestAlg digest = DigestAlg::kSha256;
  SigningCertificate certificate;
  std::optional<std::string> key_id;
};

DigestAlg read_digest_setting(const KeySettings& settings) {
  const auto value = optional_setting(settings, "cavage.digest");
  if (!value) return DigestAlg::kSha256;
  const auto alg = parse_digest_alg(*value);
  if (!alg)
    throw_unprocessable("cavage.digest", "must be SHA-256 or SHA-512, not '" + *value + "'");
  return *alg;
}

std::optional<std::string> read_key_id_setting(const KeySettings& settings) {
  auto value = optional_setting(settings, "cavage.key-id");
  if (value && (value->find('"') != std::string::npos || has_control_char(*value))) {
    throw_unprocessable("cavage.key-id", "must not contain '\"' or control characters");
  }
  return value;
}

SigningCertificate read_certificate_setting(const KeySettings& settings) {
  const std::string path = require_setting(settings, "cavage.certificate");
  try {
    return load_signing_certificate(path);
  } catch (const CertificateError& e) {
    throw_unprocessable("cavage.certificate", e.what());
  }
}

SignSettings read_sign_settings(const KeySettings& settings) {
  const auto headers = optional_setting(settings, "cavage.headers");
  return SignSettings{parse_covered_headers(headers.value_or(kCavageDefaultHeaders)),
                      read_digest_setting(settings), read_certificate_setting(settings),
                      read_key_id_setting(settings)};
}

// The DN goes into a quoted keyId: a quote in it would end the parameter early.
std::string key_id_of(const SignSettings& s) {
  if (s.key_id) return *s.key_id;
  std::string id = s.certificate.key_id();
  if (id.find('"') != std::string::npos || has_control_char(id)) {
    throw_unprocessable("cavage.certificate",
                        "has an issuer name with '\"' or control characters; set cavage.key-id");
  }
  return id;
}

std::vector<std::string> covered_names(const std::vector<CoveredHeader>& covered,
                                       const std::vector<HeaderField>& headers) {
  std::vector<std::string> out;
  for (const auto& c : covered) {
    if (!c.if_present || find_header(headers, c.name) != nullptr) out.push_back(c.name);
  }
  return out;
}

// Adds to the request's headers those the scheme fills: Digest always, X-Request-ID and Date when
// the caller left them out (Date only when it is signed). Returns the headers the application must
// send with the values signed: Digest, X-Request-ID and Date (when there is one).
Json fill_headers(std::vector<HeaderField>& headers, const SignSettings& s, ByteView body,
                  const Clock& clock, const RequestIdFn& request_id) {
  Json out = Json::object();
  const auto add = [&](const char* name, std::string value) {
    out[name] = value;
    headers.push_back(HeaderField{name, ascii_lower(name), std::move(value)});
  };
  add("Digest", digest_header(s.digest, body));
  if (const auto* id = find_header(headers, "x-request-id")) {
    out["X-Request-ID"] = id->value;
  } else {
    add("X-Request-ID", request_id());
  }
  const bool date_signed = std::any_of(s.covered.begin(), s.covered.end(),
                                       [](const CoveredHeader& c) { return c.name == "date"; });
  if (const auto* date = find_header(headers, "date")) {
    out["Date"] = date->value;
  } else if (date_signed) {
    add("Date", http_date(clock()));
  }
  return out;
}

std::vector<HeaderField> read_sign_headers(const Json& input) {
  if (!input.contains("headers")) return {};
  auto headers = read_header_fields(input["headers"], "headers");
  for (const char* name : kComputed) {
    if (const auto* h = find_header(headers, name)) {
      throw_unprocessable("headers." + h->name, "is computed by the scheme; do not send it");
    }
  }
  return headers;
}

}  // namespace

std::vector<CoveredHeader> parse_covered_headers(std::string_view setting) {
  std::vector<CoveredHeader> out;
  std::string cur;
  const auto flush = [&] {
    if (cur.empty()) return;
    CoveredHeader c{ascii_lower(cur), false};
    cur.clear();
    if (c.name.back() == '?') {
      c.if_present = true;
      c.name.pop_back();
    }
    const bool target = c.name == "(request-target)";
    if (!target && !is_http_token(c.name)) {
      throw_unprocessable("cavage.headers", "'" + c.name + "' is not a header name");
    }
    if (target && c.if_present) {
      throw_unprocessable("cavage.headers", "(request-target) is always there; drop the '?'");
    }
    if (c.name == "signature" || c.name == "tpp-signature-certificate") {
      throw_unprocessable("cavage.headers", "'" + c.name + "' is made after signing");
    }
    for (const auto& seen : out) {
      if (seen.name == c.name) throw_unprocessable("cavage.headers", c.name + " is listed twice");
    }
    out.push_back(std::move(c));
  };
  for (const char ch : setting) {
    if (ch == ' ' || ch == ',' || ch == '\t') {
      flush();
    } else {
      cur.push_back(ch);
    }
  }
  flush();
  if (out.empty()) throw_unprocessable("cavage.headers", "names no header");
  return out;
}

CavageScheme::CavageScheme(Clock clock, RequestIdFn request_id)
    : clock_(std::move(clock)), request_id_(request_id ? std::move(request_id) : random_uuid) {}

Json CavageScheme::describe() const {
  return Json{{"name", name()},
              {"description",
               "Berlin Group NextGenPSD2: draft-cavage-12 Signature (rsa-sha256), Digest, "
               "TPP-Signature-Certificate"},
              {"sign",
               {{"required", {"method", "url"}},
                {"optional", {"headers", "body"}},
                {"alternatives", {{"body", "body_base64"}}}}},
              {"verify",
               {{"required", {"headers"}},
                {"optional", {"body", "method", "url"}},
                {"alternatives", {{"body", "body_base64"}}}}},
              {"settings", known_settings()}};
}

Json CavageScheme::sign(const Json& input, const KeySettings& settings,
                        const SigningKey& sign) const {
  require_object_input(input);
  const std::string method = read_method(input);
  const std::string url = read_url(input);
  std::vector<HeaderField> headers = read_sign_headers(input);
  const Bytes body = read_body(input);
  const SignSettings s = read_sign_settings(settings);
  const std::string key_id = key_id_of(s);

  Json out_headers = fill_headers(headers, s, body, clock_, request_id_);
  const std::vector<std::string> covered = covered_names(s.covered, headers);
  std::string why;
  const auto text = cavage_signing_string(
      covered, CavageMessage{method, url_request_target(url), &headers}, &why);
  if (!text) throw_unprocessable("headers", why + " (cavage.headers signs it)");
  const Bytes signature = sign(kRsaSha256, as_bytes(*text));
  if (!s.certificate.key.verify(kRsaSha256, as_bytes(*text), signature)) {
    throw_unprocessable("cavage.certificate",
                        "is the certificate of another key: the bank could not verify");
  }
  const std::string b64 = base64_encode(signature);
  out_headers["Signature"] = format_cavage_signature(key_id, kAlgorithm, covered, b64);
  out_headers["TPP-Signature-Certificate"] = base64_encode(s.certificate.der);
  return Json{
      {"headers", out_headers}, {"signing_string", *text}, {"signature", b64}, {"key_id", key_id}};
}

std::vector<std::string> CavageScheme::check_settings(const KeySettings& settings) const {
  std::vector<std::string> problems;
  try {
    read_sign_settings(settings);
  } catch (const SchemeError& e) {
    problems.push_back(e.what());
  }
  return problems;
}

}  // namespace p11signd::schemes
