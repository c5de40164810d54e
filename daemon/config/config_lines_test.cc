#include "daemon/config/config_lines.h"

#include <gtest/gtest.h>

namespace p11signd::daemon {
namespace {

// Read as Boost reads: comments cut, blanks trimmed, the section a prefix of the option's name.
TEST(ConfigLines, FindsEachSectionAndOptionByItsLine) {
  const ConfigLayout layout = scan_config_lines(
      "# top\n  top = 1\n[key.shop]  # the shop\n\n label=shop\n\tmypos.sid = 1 # x\n[peer.p.]\n"
      "scheme = mypos\n");
  ASSERT_EQ(layout.options.size(), 4u);
  EXPECT_EQ(layout.options[0].key(), "top");
  EXPECT_EQ(layout.options[0].number, 2u);
  EXPECT_EQ(layout.options[1].key(), "key.shop.label");
  EXPECT_EQ(layout.options[1].number, 5u);
  EXPECT_EQ(layout.options[2].key(), "key.shop.mypos.sid");
  EXPECT_EQ(layout.options[2].option, "mypos.sid");
  EXPECT_EQ(layout.options[3].key(), "peer.p.scheme");  // Boost adds no second '.'
  ASSERT_EQ(layout.sections.size(), 2u);
  EXPECT_EQ(layout.sections[0].section, "key.shop");
  EXPECT_EQ(layout.sections[0].number, 3u);
}

TEST(ConfigLines, PrefixesAndLists) {
  EXPECT_EQ(line_prefix("/etc/p.conf", 7), "/etc/p.conf:7: ");
  EXPECT_EQ(line_prefix("", 7), "line 7: ");
  EXPECT_EQ(line_prefix("/etc/p.conf", 0), "");
  EXPECT_EQ(numbers_list({5}), "5");
  EXPECT_EQ(numbers_list({5, 20}), "5 and 20");
  EXPECT_EQ(numbers_list({5, 20, 31}), "5, 20 and 31");
  EXPECT_EQ(numbers_list({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}),
            "1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 2 more");
}

}  // namespace
}  // namespace p11signd::daemon
