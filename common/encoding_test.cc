#include "common/encoding.h"

#include <gtest/gtest.h>

namespace p11signd {
namespace {

TEST(Base64, Rfc4648Vectors) {
  EXPECT_EQ(base64_encode(as_bytes("")), "");
  EXPECT_EQ(base64_encode(as_bytes("f")), "Zg==");
  EXPECT_EQ(base64_encode(as_bytes("fo")), "Zm8=");
  EXPECT_EQ(base64_encode(as_bytes("foo")), "Zm9v");
  EXPECT_EQ(base64_encode(as_bytes("foobar")), "Zm9vYmFy");
}

TEST(Base64, DecodeRoundTripsAndStripsPadding) {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    auto decoded = base64_decode(base64_encode(as_bytes(s)));
    ASSERT_TRUE(decoded.has_value()) << s;
    EXPECT_EQ(std::string(as_chars(*decoded)), s);
  }
}

TEST(Base64, RejectsMalformed) {
  EXPECT_FALSE(base64_decode("Zg=").has_value());
  EXPECT_FALSE(base64_decode("Z*==").has_value());
  EXPECT_FALSE(base64_decode("Zm9v\n").has_value());
  EXPECT_FALSE(base64_decode("Zm-_").has_value());
}

TEST(Base64Url, NoPaddingAndUrlAlphabet) {
  const Bytes b{0xfb, 0xff};
  EXPECT_EQ(base64_encode(b), "+/8=");
  EXPECT_EQ(base64url_encode(b), "-_8");
  EXPECT_EQ(*base64url_decode("-_8"), b);
  EXPECT_EQ(*base64url_decode("-_8="), b);
  EXPECT_FALSE(base64url_decode("+/8").has_value());
  EXPECT_FALSE(base64url_decode("A").has_value());
}

TEST(Hex, RoundTripAndRejects) {
  const Bytes b{0x0a, 0x1b, 0xff};
  EXPECT_EQ(hex_encode(b), "0a1bff");
  EXPECT_EQ(*hex_decode("0A1bFF"), b);
  EXPECT_FALSE(hex_decode("0a1").has_value());
  EXPECT_FALSE(hex_decode("zz").has_value());
}

}  // namespace
}  // namespace p11signd
