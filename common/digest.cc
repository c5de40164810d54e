#include "common/digest.h"

#include <openssl/evp.h>

#include <stdexcept>

#include "common/encoding.h"

namespace p11signd {

Sha256 sha256(ByteView data) {
  Sha256 out{};
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr) != 1 ||
      len != out.size()) {
    throw std::runtime_error("SHA-256 computation failed in OpenSSL");
  }
  return out;
}

std::string sha256_hex(ByteView data) { return hex_encode(sha256(data)); }

}  // namespace p11signd
