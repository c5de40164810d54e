#pragma once
// SHA-256, computed in the process (it is not secret; only RSA private operations go to the token).

#include <array>
#include <cstdint>
#include <string>

#include "common/bytes.h"

namespace p11signd {

using Sha256 = std::array<std::uint8_t, 32>;

Sha256 sha256(ByteView data);
std::string sha256_hex(ByteView data);

}  // namespace p11signd
