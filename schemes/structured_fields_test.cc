#include "schemes/structured_fields.h"

#include <gtest/gtest.h>

namespace p11signd::schemes::sf {
namespace {

TEST(StructuredFields, DictionaryIsReserialisedCanonically) {
  // RFC 9421 section 2.1.1's example-dict.
  EXPECT_EQ(serialize(parse_dictionary("a=1,    b=2;x=1;y=2,   c=(a   b   c)")),
            "a=1, b=2;x=1;y=2, c=(a b c)");
  EXPECT_EQ(serialize(parse_dictionary("a=?1, b;p, c=?0")), "a, b;p, c=?0");
}

TEST(StructuredFields, BareItemsRoundTrip) {
  for (const char* text : {"42", "-7", "1.5", "-0.25", "\"a \\\"q\\\" \\\\\"", "tok/en:x",
                           ":AQID:", "?1", "?0", "*star"}) {
    EXPECT_EQ(serialize(parse_item(text)), text) << text;
  }
  EXPECT_EQ(serialize(parse_item("1.500")), "1.5");
  EXPECT_EQ(std::get<Bytes>(parse_item(":AQID:").value), (Bytes{1, 2, 3}));
}

TEST(StructuredFields, ListsAndInnerLists) {
  const List l = parse_list("a;q=1, (b \"c\");p=?0,d");
  EXPECT_EQ(serialize(l), "a;q=1, (b \"c\");p=?0, d");
  EXPECT_EQ(serialize(parse_inner_list("(\"@method\" \"@query-param\";name=\"Pet\");created=1")),
            "(\"@method\" \"@query-param\";name=\"Pet\");created=1");
  EXPECT_TRUE(parse_list("").empty());
}

TEST(StructuredFields, RepeatedKeysKeepTheFirstPositionAndTheLastValue) {
  EXPECT_EQ(serialize(parse_dictionary("a=1, b=2, a=3")), "a=3, b=2");
  EXPECT_EQ(serialize(parse_item("x;p=1;q;p=2")), "x;p=2;q");
}

TEST(StructuredFields, MalformedTextIsRefusedWithAnOffset) {
  for (const char* text : {"a=1,", "a=1 b=2", "A=1", "a=(1 2", "a=\"open", "a=:AQ=:x", "a=1.2345",
                           "a=1234567890123456", "a=?2", "a=\"\x01\"", "a=:A:"}) {
    EXPECT_THROW(parse_dictionary(text), ParseError) << text;
  }
  try {
    parse_dictionary("a=1, b=@");
    FAIL();
  } catch (const ParseError& e) {
    EXPECT_NE(std::string(e.what()).find("offset 7"), std::string::npos) << e.what();
  }
}

TEST(StructuredFields, StringsOutsidePrintableAsciiAreNotSerialised) {
  EXPECT_THROW(serialize(BareItem{std::string("a\nb")}), ParseError);
}

}  // namespace
}  // namespace p11signd::schemes::sf
