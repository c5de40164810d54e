#pragma once
// Content-Digest (RFC 9530): the digest of the message content as sent, a structured Dictionary
// of algorithm name to Byte Sequence. sha-256 and sha-512 are the algorithms RFC 9530 registers as
// active; the others are refused rather than computed.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"

namespace p11signd::schemes {

// "sha-256" or "sha-512"; nullopt for any other name.
std::optional<Bytes> content_digest_of(std::string_view alg, ByteView content);

// The field value, e.g. "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:", one member per
// algorithm in the order given. Throws std::invalid_argument naming an unknown algorithm.
std::string content_digest_field(const std::vector<std::string>& algs, ByteView content);

// Checks a received Content-Digest against the content: every sha-256/sha-512 member must match
// and at least one must be present (other algorithms are ignored, as RFC 9530 lets a recipient).
// nullopt when it holds; otherwise why not.
std::optional<std::string> content_digest_mismatch(std::string_view field_value, ByteView content);

}  // namespace p11signd::schemes
