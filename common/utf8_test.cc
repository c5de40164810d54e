#include "common/utf8.h"

#include <gtest/gtest.h>

namespace p11signd {
namespace {

TEST(EscapeInvalidUtf8, KeepsWellFormedTextOfEveryLength) {
  const std::string text =
      "a \xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91 \xf4\x8f\xbf\xbf";  // a é € 🔑 U+10FFFF
  EXPECT_TRUE(is_valid_utf8(text));
  EXPECT_EQ(escape_invalid_utf8(text), text);
  EXPECT_EQ(escape_invalid_utf8(""), "");
}

TEST(EscapeInvalidUtf8, EscapesEachInvalidByte) {
  EXPECT_EQ(escape_invalid_utf8("\xff\xfe"
                                "ab"),
            "\\xff\\xfeab");
  EXPECT_FALSE(is_valid_utf8("\xff"));
}

// What a 15-byte /proc/PID/comm does to a name of multi-byte characters: the last one is cut.
TEST(EscapeInvalidUtf8, EscapesASequenceCutShort) {
  EXPECT_EQ(escape_invalid_utf8("ab\xe2\x82"), "ab\\xe2\\x82");
  EXPECT_EQ(escape_invalid_utf8("\xf0\x9f\x94"), "\\xf0\\x9f\\x94");
  EXPECT_EQ(escape_invalid_utf8("\xc3"), "\\xc3");
  // Cut in the middle, then a well-formed character: the character is kept.
  EXPECT_EQ(escape_invalid_utf8("\xe2\x82\xc3\xa9"), "\\xe2\\x82\xc3\xa9");
}

TEST(EscapeInvalidUtf8, EscapesLoneContinuationBytes) {
  EXPECT_EQ(escape_invalid_utf8("\x80"), "\\x80");
  EXPECT_EQ(escape_invalid_utf8("a\xbf"
                                "b"),
            "a\\xbfb");
  EXPECT_EQ(escape_invalid_utf8("\xc3\xa9\xa9"), "\xc3\xa9\\xa9");
}

TEST(EscapeInvalidUtf8, EscapesOverlongForms) {
  EXPECT_EQ(escape_invalid_utf8("\xc0\xaf"), "\\xc0\\xaf");  // '/' in two bytes
  EXPECT_EQ(escape_invalid_utf8("\xc1\xbf"), "\\xc1\\xbf");
  EXPECT_EQ(escape_invalid_utf8("\xe0\x80\xaf"), "\\xe0\\x80\\xaf");  // '/' in three bytes
  EXPECT_EQ(escape_invalid_utf8("\xf0\x80\x80\xaf"), "\\xf0\\x80\\x80\\xaf");
}

TEST(EscapeInvalidUtf8, EscapesSurrogatesAndCodePointsAboveTheLast) {
  EXPECT_EQ(escape_invalid_utf8("\xed\xa0\x80"), "\\xed\\xa0\\x80");           // U+D800
  EXPECT_EQ(escape_invalid_utf8("\xed\xbf\xbf"), "\\xed\\xbf\\xbf");           // U+DFFF
  EXPECT_EQ(escape_invalid_utf8("\xed\x9f\xbf"), "\xed\x9f\xbf");              // U+D7FF is fine
  EXPECT_EQ(escape_invalid_utf8("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");  // U+110000
  EXPECT_EQ(escape_invalid_utf8("\xf5\x80\x80\x80"), "\\xf5\\x80\\x80\\x80");
}

TEST(EscapeInvalidUtf8, ResultIsWellFormedAndEscapingTwiceChangesNothing) {
  std::string every_byte;
  for (int b = 0; b < 256; ++b) every_byte += static_cast<char>(b);
  const std::string once = escape_invalid_utf8(every_byte);
  EXPECT_TRUE(is_valid_utf8(once));
  EXPECT_EQ(escape_invalid_utf8(once), once);
  EXPECT_NE(once.find("\\xff"), std::string::npos);
}

}  // namespace
}  // namespace p11signd
