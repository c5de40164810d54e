#include "common/ecdsa_signature.h"

#include <gtest/gtest.h>

namespace p11signd {
namespace {

// r = 1, s = 0x80 (a high bit, so DER needs a leading zero byte): DER is
// 30 07 02 01 01 02 02 00 80.
TEST(EcdsaSignature, RawAndDerConvertBothWays) {
  Bytes raw(64, 0);
  raw[31] = 0x01;
  raw[63] = 0x80;
  const Bytes der = {0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x02, 0x00, 0x80};
  EXPECT_EQ(ecdsa_raw_to_der(raw), der);
  EXPECT_EQ(ecdsa_der_to_raw(der, 32), raw);
}

TEST(EcdsaSignature, RefusesWhatIsNotOneSignature) {
  const Bytes der = {0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x02, 0x00, 0x80};
  Bytes trailing = der;
  trailing.push_back(0);
  EXPECT_FALSE(ecdsa_der_to_raw(trailing, 32));
  EXPECT_FALSE(ecdsa_der_to_raw(Bytes(64, 1), 32));  // raw is not DER
  EXPECT_FALSE(ecdsa_raw_to_der(Bytes(63, 1)));      // odd length
  EXPECT_FALSE(ecdsa_raw_to_der(Bytes{}));
  // r = 0x0100 needs 2 bytes; a 1-byte half cannot hold it.
  const Bytes wide = {0x30, 0x07, 0x02, 0x02, 0x01, 0x00, 0x02, 0x01, 0x01};
  EXPECT_EQ(ecdsa_der_to_raw(wide, 2), (Bytes{0x01, 0x00, 0x00, 0x01}));
  EXPECT_FALSE(ecdsa_der_to_raw(wide, 1));
}

}  // namespace
}  // namespace p11signd
