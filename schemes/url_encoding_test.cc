#include "schemes/url_encoding.h"

#include <gtest/gtest.h>

namespace p11signd::schemes {
namespace {

TEST(Rfc3986Encode, KeepsOnlyUnreserved) {
  EXPECT_EQ(rfc3986_encode("-._~azAZ09"), "-._~azAZ09");
  EXPECT_EQ(rfc3986_encode("a b+c%d&e=f/g*"), "a%20b%2Bc%25d%26e%3Df%2Fg%2A");
}

TEST(Rfc3986Encode, EncodesUtf8BytesUppercase) {
  EXPECT_EQ(rfc3986_encode("\xE1\x88\xB4"), "%E1%88%B4");  // U+1234
  EXPECT_EQ(rfc3986_encode("\xC3\xA9"), "%C3%A9");         // é
}

TEST(FormUrlencode, MatchesPhpUrlencode) {
  EXPECT_EQ(form_urlencode("myPOS  * TESTSTORE"), "myPOS++%2A+TESTSTORE");
  EXPECT_EQ(form_urlencode("2015-08-21 10:39:37"), "2015-08-21+10%3A39%3A37");
  EXPECT_EQ(form_urlencode("a~b"), "a%7Eb");  // PHP encodes ~ too
  EXPECT_EQ(form_urlencode("+/="), "%2B%2F%3D");
  EXPECT_EQ(form_urlencode("\xC3\xA9"), "%C3%A9");
}

TEST(FormEncodePairs, JoinsInOrder) {
  EXPECT_EQ(form_encode_pairs({{"b", "1"}, {"a", "x y"}, {"c", ""}}), "b=1&a=x+y&c=");
}

TEST(PercentDecode, PlusIsSpaceOnlyInForms) {
  EXPECT_EQ(percent_decode("a+b%2Bc", true), "a b+c");
  EXPECT_EQ(percent_decode("a+b%2bc", false), "a+b+c");
}

TEST(PercentDecode, RefusesBrokenEscapes) {
  EXPECT_FALSE(percent_decode("%", true));
  EXPECT_FALSE(percent_decode("%4", true));
  EXPECT_FALSE(percent_decode("%G0", true));
  EXPECT_FALSE(percent_decode("ab%", false));
}

TEST(FormDecodePairs, KeepsOrderAndEmptyValues) {
  const auto pairs = form_decode_pairs("z=1&&a=&b&c=x%3Dy=z");
  ASSERT_TRUE(pairs);
  const FormPairs want = {{"z", "1"}, {"a", ""}, {"b", ""}, {"c", "x=y=z"}};
  EXPECT_EQ(*pairs, want);
  EXPECT_FALSE(form_decode_pairs("a=%zz"));
}

TEST(FormEncoding, RoundTripsEveryByte) {
  std::string all;
  for (int c = 1; c < 256; ++c) all.push_back(static_cast<char>(c));
  const auto back = form_decode_pairs(form_encode_pairs({{"k", all}}));
  ASSERT_TRUE(back);
  EXPECT_EQ((*back)[0].second, all);
}

}  // namespace
}  // namespace p11signd::schemes
