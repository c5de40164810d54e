#include "pkcs11/signing.h"

#include <gtest/gtest.h>

#include "common/digest.h"
#include "common/encoding.h"

namespace p11signd::pkcs11 {
namespace {

TEST(DigestInfo, Sha256PrefixIsRfc8017) {
  const auto digest = sha256(as_bytes("abc"));
  const Bytes info = sha256_digest_info(digest);
  ASSERT_EQ(info.size(), 19u + 32u);
  EXPECT_EQ(hex_encode(ByteView(info).first(19)), "3031300d060960864801650304020105000420");
  EXPECT_TRUE(std::equal(digest.begin(), digest.end(), info.begin() + 19));
}

}  // namespace
}  // namespace p11signd::pkcs11
