#include "daemon/routes/json_text.h"

#include <gtest/gtest.h>

namespace p11signd::daemon {
namespace {

TEST(DumpJson, WellFormedTextIsDumpedAsNlohmannDoes) {
  const nlohmann::ordered_json j{{"comm", "caf\xc3\xa9"}, {"n", 1}};
  EXPECT_EQ(dump_json(j), j.dump());
}

TEST(DumpJson, InvalidBytesBecomeEscapesInValuesKeysAndArrays) {
  nlohmann::ordered_json j;
  j["comm"] = "\xff\xfe-name";
  j["list"] = {"ok", "cut \xe2\x82"};
  j["k\x80"] = true;
  EXPECT_THROW((void)j.dump(), nlohmann::json::type_error);  // what the escape is there for
  const auto back = nlohmann::json::parse(dump_json(j));
  EXPECT_EQ(back["comm"], "\\xff\\xfe-name");
  EXPECT_EQ(back["list"][1], "cut \\xe2\\x82");
  EXPECT_EQ(back["k\\x80"], true);
}

}  // namespace
}  // namespace p11signd::daemon
