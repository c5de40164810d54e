#include "common/nearest_name.h"

#include <gtest/gtest.h>

#include <vector>

namespace p11signd {
namespace {

const std::vector<std::string> kSchemes = {"alipay", "amazonpay", "carat",   "jws",
                                           "mypos",  "raw",       "swifood", "wechatpay"};

TEST(EditDistance, CountsInsertsDeletesSubstitutionsAndSwaps) {
  EXPECT_EQ(edit_distance("allow-groups", "allow-groups"), 0u);
  EXPECT_EQ(edit_distance("allow-group", "allow-groups"), 1u);
  EXPECT_EQ(edit_distance("amazon-pay", "amazonpay"), 1u);
  EXPECT_EQ(edit_distance("lable", "label"), 1u);  // two neighbours swapped
  EXPECT_EQ(edit_distance("MyPOS", "mypos"), 0u);  // case does not count
  EXPECT_EQ(edit_distance("", "raw"), 3u);
}

TEST(NearestName, SuggestsTheNearestWhenItIsNearEnough) {
  EXPECT_EQ(nearest_name("amazon-pay", kSchemes), "amazonpay");
  EXPECT_EQ(nearest_name("wechat", kSchemes), std::nullopt);  // 3 edits in 6 letters: too far
  EXPECT_EQ(nearest_name("wechat-pay", kSchemes), "wechatpay");
  EXPECT_EQ(nearest_name("rsa", kSchemes), std::nullopt);
  EXPECT_EQ(nearest_name("raw", kSchemes), std::nullopt);  // known: nothing to suggest
  EXPECT_EQ(nearest_name("paypal", kSchemes), std::nullopt);
}

TEST(NearestName, AHugeNameIsAnsweredAtOnce) {
  EXPECT_EQ(nearest_name(std::string(1 << 22, 'a'), kSchemes), std::nullopt);
}

TEST(NearestName, PhrasesTheSuggestion) {
  const std::vector<std::string> options = {"allow-uids", "allow-groups", "label"};
  EXPECT_EQ(did_you_mean("allow-group", options), " (did you mean 'allow-groups'?)");
  EXPECT_EQ(did_you_mean("colour", options), "");
  EXPECT_EQ(comma_list(options), "allow-uids, allow-groups, label");
}

}  // namespace
}  // namespace p11signd
