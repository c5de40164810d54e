#pragma once
// Amazon Pay API v2 request signing (the Amazon Pay SDKs' SignatureHelper). A canonical
// request in the style of AWS SigV4 is hashed into a string to sign, which is signed with
// RSASSA-PSS (SHA-256, MGF1-SHA256): AMZN-PAY-RSASSA-PSS-V2 uses salt 32 (the default),
// AMZN-PAY-RSASSA-PSS salt 20.

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "schemes/scheme.h"

namespace p11signd::schemes {

inline constexpr std::string_view kAmazonPayV2 = "AMZN-PAY-RSASSA-PSS-V2";
inline constexpr std::string_view kAmazonPayV1 = "AMZN-PAY-RSASSA-PSS";

using QueryParams = std::vector<std::pair<std::string, std::string>>;  // decoded, repeats allowed
using CanonicalHeaders = std::map<std::string, std::string>;           // lowercase name -> value

// The two algorithms, with their salt lengths; nullopt for anything else.
std::optional<SignRequest> amazonpay_sign_request(std::string_view algorithm);

struct SplitUrl {
  std::string host;  // empty when the URL has no authority
  std::string path;  // still percent-encoded, as written
  QueryParams query;
};
// Accepts "https://host/path?q", "//host/path" (a network-path reference: "//foo//" is host foo,
// path "//", as the Java SDK reads it) and "/path?q". nullopt on a broken %-escape in the query.
std::optional<SplitUrl> amazonpay_split_url(std::string_view url);

// Pure: the path decoded, normalised like java.net.URI.normalize (empty segments and "." dropped,
// ".." applied, a trailing '/' kept), each segment RFC 3986 encoded from UTF-8. "" and "//" give
// "/". nullopt on a bad escape.
std::optional<std::string> amazonpay_canonical_uri(std::string_view path);

// Pure: names and values RFC 3986 encoded, pairs sorted by bytes (A.1 < A.10 < A.2, then by value),
// k=v&...
std::string amazonpay_canonical_query(const QueryParams& query);

// Pure: METHOD \n URI \n QUERY \n (name:value\n)* \n signed;names \n hex(SHA-256(payload)). Every
// header given is signed; values are trimmed.
std::string amazonpay_canonical_request(std::string_view method, std::string_view canonical_uri,
                                        const QueryParams& query, const CanonicalHeaders& headers,
                                        std::string_view payload);

// Pure: ALGORITHM \n hex(SHA-256(text)). Used for requests (text = canonical request) and for the
// checkout button (text = the button payload).
std::string amazonpay_string_to_sign(std::string_view algorithm, std::string_view text);

// The text whose SHA-256 is signed: "body" as given when a string, serialised once when an object
// or array, "" when absent or null; 400 naming body otherwise. sign and verify both read it here.
std::string amazonpay_body_text(const Json& input);

// yyyyMMdd'T'HHmmss'Z' in UTC.
std::string amazonpay_date(std::chrono::system_clock::time_point t);

class AmazonPayScheme final : public Scheme {
 public:
  explicit AmazonPayScheme(Clock clock) : clock_(std::move(clock)) {}
  std::string name() const override { return "amazonpay"; }
  Json describe() const override;
  std::vector<std::string> known_settings() const override {
    return {"amazonpay.public-key-id", "amazonpay.region", "amazonpay.algorithm"};
  }
  // {"method","url","headers":{...},"body":STRING or OBJECT,"algorithm"?} -> {"headers":{...
  // authorization}}.
  Json sign(const Json& input, const KeySettings& settings, const SigningKey& sign) const override;
  // A signed request as sign() returned it ({"method","url","headers" with authorization,"body"}),
  // or a button signature ({"payload","signature","algorithm"?}).
  Json verify(const Json& input, const PeerKey& peer) const override;
  std::vector<std::string> check_settings(const KeySettings& settings) const override;
  std::vector<std::string> actions() const override { return {"button-signature"}; }
  // button-signature: {"payload": STRING or OBJECT, "algorithm"?} -> {"signature","payload"}.
  Json run_action(std::string_view action, const Json& input, const KeySettings& settings,
                  const SigningKey& sign) const override;

 private:
  Clock clock_;
};

}  // namespace p11signd::schemes
