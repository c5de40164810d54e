#pragma once
// Base64 (RFC 4648 section 4 and, unpadded, section 5) and hex. Decoders return std::nullopt on any
// character outside the alphabet, so callers can name the field that was malformed.

#include <optional>
#include <string>
#include <string_view>

#include "common/bytes.h"

namespace p11signd {

std::string base64_encode(ByteView data);
// Accepts padded input only in the standard alphabet; whitespace is not allowed.
std::optional<Bytes> base64_decode(std::string_view text);

// base64url without padding, as JOSE (RFC 7515) uses it.
std::string base64url_encode(ByteView data);
// Accepts input with or without '=' padding.
std::optional<Bytes> base64url_decode(std::string_view text);

std::string hex_encode(ByteView data);                   // lowercase
std::optional<Bytes> hex_decode(std::string_view text);  // either case, even length

}  // namespace p11signd
