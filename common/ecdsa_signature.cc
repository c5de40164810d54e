#include "common/ecdsa_signature.h"

#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>

#include <memory>

#include "common/openssl_ptr.h"

namespace p11signd {
namespace {}  // namespace

std::optional<Bytes> ecdsa_raw_to_der(ByteView raw) {
  if (raw.empty() || raw.size() % 2 != 0) return std::nullopt;
  const int half = static_cast<int>(raw.size() / 2);
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(raw.data(), half, nullptr);
  BIGNUM* s = BN_bin2bn(raw.data() + half, half, nullptr);
  if (!sig || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ERR_clear_error();
    return std::nullopt;
  }
  unsigned char* der = nullptr;
  const int len = i2d_ECDSA_SIG(sig.get(), &der);
  if (len <= 0) {
    ERR_clear_error();
    return std::nullopt;
  }
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

std::optional<Bytes> ecdsa_der_to_raw(ByteView der, std::size_t half_len) {
  const unsigned char* p = der.data();
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  // Trailing bytes after the SEQUENCE are not a signature either.
  if (!sig || p != der.data() + der.size()) {
    ERR_clear_error();
    return std::nullopt;
  }
  const BIGNUM* r = ECDSA_SIG_get0_r(sig.get());
  const BIGNUM* s = ECDSA_SIG_get0_s(sig.get());
  Bytes out(2 * half_len);
  const int n = static_cast<int>(half_len);
  if (BN_bn2binpad(r, out.data(), n) != n || BN_bn2binpad(s, out.data() + half_len, n) != n) {
    ERR_clear_error();
    return std::nullopt;
  }
  return out;
}

}  // namespace p11signd
