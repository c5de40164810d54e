// The cavage scheme's parsing of what a bank sends: the first line is a Signature header's value,
// the rest a Digest header checked against a fixed body. Parsing must never crash, and a parsed
// header whose values need no escaping must come back the same through format_cavage_signature
// (what the daemon sends is what it reads).

#include <cstdlib>
#include <string>

#include "schemes/cavage_signature.h"

namespace {

bool plain(const std::string& s) { return s.find_first_of("\"\\") == std::string::npos; }

void check_round_trip(const p11signd::schemes::CavageParams& p) {
  using namespace p11signd::schemes;
  if (!plain(p.key_id) || !plain(p.signature) || !p.algorithm || !plain(*p.algorithm)) return;
  for (const auto& h : p.headers) {
    if (!plain(h)) return;
  }
  std::string why;
  const auto again = parse_cavage_signature(
      format_cavage_signature(p.key_id, *p.algorithm, p.headers, p.signature), &why);
  if (!again || again->key_id != p.key_id || again->signature != p.signature ||
      again->algorithm != p.algorithm || (p.headers_given && again->headers != p.headers)) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace p11signd::schemes;
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto newline = text.find('\n');
  const std::string signature = text.substr(0, newline);
  std::string why;
  if (const auto p = parse_cavage_signature(signature, &why)) {
    check_round_trip(*p);
  } else if (why.empty()) {
    std::abort();  // a refusal always says why
  }
  if (newline != std::string::npos) {
    const std::string body = R"({"hello": "world"})";
    (void)digest_matches(text.substr(newline + 1), p11signd::as_bytes(body), &why);
  }
  return 0;
}
