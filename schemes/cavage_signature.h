#pragma once
// draft-cavage-http-signatures-12, the parts that are pure text: the Signature header's parameters
// (section 2.1) both ways, the signing string (section 2.3) and the Digest header (RFC 3230 with
// the SHA-256 and SHA-512 of RFC 5843), as the Berlin Group's NextGenPSD2 guidelines use them.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "schemes/http_fields.h"

namespace p11signd::schemes {

// The parameters of a Signature header (or of "Authorization: Signature ...").
struct CavageParams {
  std::string key_id;
  std::optional<std::string> algorithm;
  std::vector<std::string> headers;  // lowercase, in order; the draft's default when absent
  bool headers_given = false;
  std::string signature;  // base64, as sent
  std::optional<std::string> created, expires;
};

// nullopt, with *why saying what is wrong, for text that is not a list of name=value parameters or
// lacks keyId or signature. Unknown parameters are ignored (draft section 2.1); one given twice is
// refused.
std::optional<CavageParams> parse_cavage_signature(std::string_view text, std::string* why);

// keyId="...",algorithm="...",headers="...",signature="..." (no spaces, as the draft's examples).
std::string format_cavage_signature(const std::string& key_id, const std::string& algorithm,
                                    const std::vector<std::string>& headers,
                                    const std::string& signature);

// What the signing string is built from: the covered names, the method and request target for
// "(request-target)", and the header fields.
struct CavageMessage {
  std::string method;  // any case; lowercased in the string
  std::string target;  // path and query
  const std::vector<HeaderField>* headers = nullptr;
};

// The signing string: one "name: value" line per covered name, joined by "\n", values with their
// leading and trailing whitespace dropped. nullopt, with *why naming it, when a covered header is
// absent or a name is one this profile does not sign ((created), (expires) with rsa-sha256).
std::optional<std::string> cavage_signing_string(const std::vector<std::string>& covered,
                                                 const CavageMessage& message, std::string* why);

enum class DigestAlg { kSha256, kSha512 };
std::optional<DigestAlg> parse_digest_alg(std::string_view name);  // case-insensitive
// "SHA-256=<base64>" of the body.
std::string digest_header(DigestAlg alg, ByteView body);

// Checks a received Digest header (one or more "alg=value" entries) against the body: the entries
// of SHA-256 and SHA-512 must all match and one at least must be there. *why says what failed.
bool digest_matches(std::string_view header, ByteView body, std::string* why);

}  // namespace p11signd::schemes
