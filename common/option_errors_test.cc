#include "common/option_errors.h"

#include <gtest/gtest.h>

namespace p11signd {
namespace {

TEST(OptionErrors, PlaceholdersAreWordsBetweenPercentSigns) {
  EXPECT_TRUE(holds_option_placeholder("%option%"));
  EXPECT_TRUE(holds_option_placeholder("--x=%canonical_option%"));
  EXPECT_TRUE(holds_option_placeholder("50% and %value%"));
  EXPECT_FALSE(holds_option_placeholder("100%"));
  EXPECT_FALSE(holds_option_placeholder("%%"));
  EXPECT_FALSE(holds_option_placeholder("50% off % today"));
  EXPECT_FALSE(holds_option_placeholder("%1%"));
}

// The argument that would make Boost's what() loop is named by our own message; what() is never
// called for it (this test would not return if it were).
TEST(OptionErrors, AnArgumentHoldingAPlaceholderIsNamedWithoutBoostsMessage) {
  const boost::program_options::unknown_option e("--%canonical_option%");
  EXPECT_EQ(describe_option_error(e, {"--%canonical_option%", "health"}),
            "invalid argument '--%canonical_option%'");
  const boost::program_options::unknown_option plain("--colour");
  EXPECT_EQ(describe_option_error(plain, {"--colour"}), plain.what());
}

}  // namespace
}  // namespace p11signd
