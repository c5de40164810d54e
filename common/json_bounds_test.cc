#include "common/json_bounds.h"

#include <gtest/gtest.h>

#include <vector>

namespace p11signd {
namespace {

std::string nested(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

std::string object_of(std::size_t members) {
  std::string text = "{";
  for (std::size_t i = 0; i < members; ++i) {
    text += (i ? ",\"m" : "\"m") + std::to_string(i) + "\":0";
  }
  return text + "}";
}

TEST(JsonBounds, DepthAtTheLimitPassesAndOneMoreIsRefused) {
  EXPECT_TRUE(scan_json(nested(kMaxJsonDepth)).ok());
  const auto past = scan_json(nested(kMaxJsonDepth + 1));
  EXPECT_EQ(past.problem, JsonScan::Problem::kTooDeep);
  EXPECT_NE(past.message.find("64 levels"), std::string::npos) << past.message;
}

TEST(JsonBounds, BracketsInsideStringsAreNotNesting) {
  EXPECT_TRUE(scan_json("{\"a\":\"" + std::string(1000, '[') + "\\\"[\"}").ok());
}

TEST(JsonBounds, MembersAtTheLimitPassAndOneMoreIsRefused) {
  EXPECT_TRUE(scan_json(object_of(kMaxJsonMembers)).ok());
  const auto past = scan_json(object_of(kMaxJsonMembers + 1));
  EXPECT_EQ(past.problem, JsonScan::Problem::kTooManyMembers);
  // The limit is per object: many small objects are fine.
  std::string many = "[";
  for (int i = 0; i < 3000; ++i) many += (i ? ",{\"a\":1}" : "{\"a\":1}");
  EXPECT_TRUE(scan_json(many + "]").ok());
}

TEST(JsonBounds, ReadsTheWantedTopLevelStringsOnly) {
  const auto scan = scan_json(R"({"x":{"key":"inner"},"key":"outer","peer":5,"n":[{"key":"a"}]})",
                              {"key", "peer"});
  ASSERT_TRUE(scan.ok()) << scan.message;
  EXPECT_TRUE(scan.object);
  ASSERT_EQ(scan.strings.count("key"), 1u);
  EXPECT_EQ(scan.strings.at("key"), "outer");
  EXPECT_EQ(scan.strings.count("peer"), 0u);  // not a string
}

TEST(JsonBounds, AWantedMemberTwiceIsRefused) {
  // A check that read the first and a parse that keeps the last would disagree.
  EXPECT_EQ(scan_json(R"({"key":"allowed","key":"other"})", {"key"}).problem,
            JsonScan::Problem::kDuplicate);
}

TEST(JsonBounds, SyntaxErrorsAndTrailingBytesAreRefused) {
  EXPECT_EQ(scan_json("{\"a\":").problem, JsonScan::Problem::kSyntax);
  EXPECT_EQ(scan_json("{} x").problem, JsonScan::Problem::kSyntax);
  EXPECT_EQ(scan_json("").problem, JsonScan::Problem::kSyntax);
  EXPECT_FALSE(scan_json("[1]").object);
}

TEST(JsonBounds, ParseOrderedGivesWhatNlohmannGives) {
  for (const std::string& text : std::vector<std::string>{
           R"({"b":1,"a":[1,{"z":null,"y":"s"}],"c":{"d":true,"e":1.5,"f":-3}})",
           R"({"dup":1,"x":2,"dup":{"k":3}})",  // first place, last value
           R"([{"a":1},[],{},"",0])", R"("just a string")", nested(kMaxJsonDepth),
           object_of(kMaxJsonMembers)}) {
    const auto mine = parse_ordered(text);
    const auto theirs = nlohmann::ordered_json::parse(text);
    EXPECT_EQ(mine, theirs) << text;
    EXPECT_EQ(mine.dump(), theirs.dump()) << text;  // the same order too
  }
  EXPECT_THROW(parse_ordered("{\"a\":"), nlohmann::json::parse_error);
}

}  // namespace
}  // namespace p11signd
