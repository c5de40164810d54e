#include "schemes/cavage_signature.h"

#include <openssl/evp.h>

#include <stdexcept>

#include "common/digest.h"
#include "common/encoding.h"
#include "schemes/ascii.h"

namespace p11signd::schemes {
namespace {

bool is_ows(char c) { return c == ' ' || c == '\t'; }

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

bool is_token_char(char c) { return is_http_token(std::string_view(&c, 1)); }

// Reads one quoted-string (RFC 9110 5.6.4) at text[pos] == '"'; backslash escapes one character.
std::optional<std::string> read_quoted(std::string_view text, std::size_t& pos) {
  std::string out;
  for (++pos; pos < text.size(); ++pos) {
    const char c = text[pos];
    if (c == '"') {
      ++pos;
      return out;
    }
    if (c == '\\') {
      if (++pos == text.size()) return std::nullopt;
      out.push_back(text[pos]);
    } else {
      out.push_back(c);
    }
  }
  return std::nullopt;
}

std::vector<std::string> split_names(std::string_view list) {
  std::vector<std::string> out;
  std::string cur;
  for (const char c : std::string(list) + " ") {
    if (is_ows(c)) {
      if (!cur.empty()) out.push_back(ascii_lower(cur));
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  return out;
}

bool fail(std::string* why, std::string message) {
  *why = std::move(message);
  return false;
}

// Sets one parameter; keyId, signature and headers must be non-empty where given.
bool assign_param(CavageParams& p, const std::string& name, std::string value, std::string* why) {
  const auto set_once = [&](std::optional<std::string>& slot) {
    if (slot) return fail(why, "parameter " + name + " is given twice");
    slot = std::move(value);
    return true;
  };
  if (name == "keyId" || name == "signature") {
    std::string& slot = name == "keyId" ? p.key_id : p.signature;
    if (!slot.empty()) return fail(why, "parameter " + name + " is given twice");
    if (value.empty()) return fail(why, "parameter " + name + " is empty");
    slot = std::move(value);
    return true;
  }
  if (name == "headers") {
    if (p.headers_given) return fail(why, "parameter headers is given twice");
    p.headers_given = true;
    p.headers = split_names(value);
    return true;
  }
  if (name == "algorithm") return set_once(p.algorithm);
  if (name == "created") return set_once(p.created);
  if (name == "expires") return set_once(p.expires);
  return true;  // unknown parameters are ignored
}

std::optional<CavageParams> refused(std::string* why, std::string message) {
  *why = std::move(message);
  return std::nullopt;
}

}  // namespace

std::optional<CavageParams> parse_cavage_signature(std::string_view text, std::string* why) {
  text = trim_ows(text);
  if (text.size() > 10 && ascii_lower(text.substr(0, 10)) == "signature ") {
    text = trim_ows(text.substr(10));
  }
  CavageParams p;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t name_start = pos;
    while (pos < text.size() && is_token_char(text[pos]) && text[pos] != '=') ++pos;
    const std::string name(text.substr(name_start, pos - name_start));
    while (pos < text.size() && is_ows(text[pos])) ++pos;
    if (name.empty() || pos == text.size() || text[pos] != '=') {
      return refused(why, "expected name=value at offset " + std::to_string(name_start));
    }
    ++pos;
    while (pos < text.size() && is_ows(text[pos])) ++pos;
    std::string value;
    if (pos < text.size() && text[pos] == '"') {
      auto quoted = read_quoted(text, pos);
      if (!quoted) return refused(why, "the value of " + name + " has no closing quote");
      value = std::move(*quoted);
    } else {
      const std::size_t v = pos;
      while (pos < text.size() && is_token_char(text[pos])) ++pos;
      value = std::string(text.substr(v, pos - v));
    }
    if (!assign_param(p, name, std::move(value), why)) return std::nullopt;
    while (pos < text.size() && is_ows(text[pos])) ++pos;
    if (pos < text.size()) {
      if (text[pos] != ',') return refused(why, "expected ',' after " + name);
      ++pos;
      while (pos < text.size() && is_ows(text[pos])) ++pos;
    }
  }
  if (p.key_id.empty()) return refused(why, "keyId is missing");
  if (p.signature.empty()) return refused(why, "signature is missing");
  if (!p.headers_given) p.headers = {"date"};  // the draft's default for rsa-sha256 (C.1)
  return p;
}

std::string format_cavage_signature(const std::string& key_id, const std::string& algorithm,
                                    const std::vector<std::string>& headers,
                                    const std::string& signature) {
  std::string list;
  for (const auto& h : headers) list += (list.empty() ? "" : " ") + h;
  return "keyId=\"" + key_id + "\",algorithm=\"" + algorithm + "\",headers=\"" + list +
         "\",signature=\"" + signature + "\"";
}

std::optional<std::string> cavage_signing_string(const std::vector<std::string>& covered,
                                                 const CavageMessage& message, std::string* why) {
  std::string out;
  for (const auto& name : covered) {
    std::string line;
    if (name == "(request-target)") {
      line = "(request-target): " + ascii_lower(message.method) + " " + message.target;
    } else if (name == "(created)" || name == "(expires)") {
      *why = name + " may not be signed with rsa-sha256 (draft-cavage-12 section 2.3)";
      return std::nullopt;
    } else {
      const HeaderField* h = message.headers ? find_header(*message.headers, name) : nullptr;
      if (h == nullptr) {
        *why = "the covered header " + name + " is absent";
        return std::nullopt;
      }
      line = name + ": " + std::string(trim_ows(h->value));
    }
    if (!out.empty()) out.push_back('\n');
    out += line;
  }
  return out;
}

std::optional<DigestAlg> parse_digest_alg(std::string_view name) {
  const std::string n = ascii_lower(name);
  if (n == "sha-256") return DigestAlg::kSha256;
  if (n == "sha-512") return DigestAlg::kSha512;
  return std::nullopt;
}

std::string digest_header(DigestAlg alg, ByteView body) {
  if (alg == DigestAlg::kSha256) {
    const Sha256 d = sha256(body);
    return "SHA-256=" + base64_encode(ByteView(d.data(), d.size()));
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(body.data(), body.size(), md, &len, EVP_sha512(), nullptr) != 1) {
    throw std::runtime_error("SHA-512 failed");
  }
  return "SHA-512=" + base64_encode(ByteView(md, len));
}

bool digest_matches(std::string_view header, ByteView body, std::string* why) {
  bool checked = false;
  std::size_t start = 0;
  while (start <= header.size()) {
    const std::size_t end = std::min(header.find(',', start), header.size());
    const std::string_view entry = trim_ows(header.substr(start, end - start));
    start = end + 1;
    const auto eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    const auto alg = parse_digest_alg(entry.substr(0, eq));
    if (!alg) continue;  // other algorithms are not ours to check
    const std::string expected = digest_header(*alg, body);
    if (std::string_view(expected).substr(expected.find('=') + 1) != entry.substr(eq + 1)) {
      *why = "the Digest " + std::string(entry.substr(0, eq)) + " does not match the body";
      return false;
    }
    checked = true;
  }
  if (!checked) *why = "the Digest header has no SHA-256 or SHA-512 entry";
  return checked;
}

}  // namespace p11signd::schemes
