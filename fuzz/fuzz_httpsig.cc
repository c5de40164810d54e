// RFC 9421's parsing: structured fields (RFC 8941) as a verifier meets them in Signature-Input,
// Signature and Content-Digest, and the signature base built from a received Signature-Input. The
// first byte picks the structured type; the rest is the field value. A parse may fail only with
// sf::ParseError, a base only with ComponentError; what parses must serialise to text that parses
// back to the same serialisation (the canonical form a signature covers).

#include <cstdlib>

#include "schemes/content_digest.h"
#include "schemes/httpsig_base.h"
#include "schemes/structured_fields.h"

namespace {

using namespace p11signd::schemes;

template <typename Parse>
void round_trip(Parse parse, std::string_view text) {
  std::string once;
  try {
    once = sf::serialize(parse(text));
  } catch (const sf::ParseError&) {
    return;
  }
  if (sf::serialize(parse(once)) != once) std::abort();
}

// A request with the fields a fuzzed Signature-Input may name.
const HttpMessage& message() {
  static const HttpMessage* m = [] {
    auto* msg = new HttpMessage;
    msg->method = "POST";
    msg->target_uri = "https://example.com:8443/foo/bar?param=Value&Pet=dog&a=1&a=2&e=";
    msg->fields = {{"Content-Type", "application/json"},
                   {"Example-Dict", " a=1, b=2;x=1;y=2, c=(a b c), d"},
                   {"Content-Digest", "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"},
                   {"X-Twice", "one"},
                   {"X-Twice", "two"}};
    msg->body = "{\"hello\": \"world\"}";
    return msg;
  }();
  return *m;
}

void signature_base_of(std::string_view signature_input) {
  sf::Dictionary dict;
  try {
    dict = sf::parse_dictionary(signature_input);
  } catch (const sf::ParseError&) {
    return;
  }
  HttpMessage response;
  response.status = 200;
  for (const auto& [label, member] : dict) {
    const auto* params = std::get_if<sf::InnerList>(&member);
    if (params == nullptr) continue;
    for (const HttpMessage* target : {&message(), static_cast<const HttpMessage*>(&response)}) {
      try {
        const std::string base = signature_base(*params, BaseContext{*target, &message()});
        if (base.find("\"@signature-params\": ") == std::string::npos) std::abort();
      } catch (const ComponentError&) {
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 5) {
    case 0:
      round_trip(sf::parse_item, text);
      break;
    case 1:
      round_trip(sf::parse_list, text);
      break;
    case 2:
      round_trip(sf::parse_dictionary, text);
      break;
    case 3:
      signature_base_of(text);
      break;
    default:
      (void)content_digest_mismatch(text, p11signd::as_bytes("{\"hello\": \"world\"}"));
      break;
  }
  return 0;
}
