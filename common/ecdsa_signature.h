#pragma once
// The two ways an ECDSA signature is written: raw r||s (what PKCS#11 tokens return, what JWS and
// RFC 9421 send) and the DER SEQUENCE { INTEGER r, INTEGER s } (X.509, OpenSSL). Conversions only;
// no key is involved.

#include <cstddef>
#include <optional>

#include "common/bytes.h"

namespace p11signd {

// DER of a raw r||s signature (two halves of equal length). nullopt when raw is empty or of odd
// length.
std::optional<Bytes> ecdsa_raw_to_der(ByteView raw);
// r||s, each left-padded to half_len bytes (32 for P-256, 48 for P-384). nullopt when der is not
// one DER ECDSA-Sig-Value with nothing after it, or r or s does not fit half_len bytes.
std::optional<Bytes> ecdsa_der_to_raw(ByteView der, std::size_t half_len);

}  // namespace p11signd
