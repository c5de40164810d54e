// The words of `p11sign key ...` checked before any request: versions, settings, rotate shapes.

#include "cli/key_args.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli/errors.h"

namespace p11signd::cli {
namespace {

using ::testing::HasSubstr;
using Json = nlohmann::ordered_json;

std::string usage_error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(no usage error)";
}

TEST(ParseVersion, TakesDecimalNumbersFromOne) {
  EXPECT_EQ(parse_version("1"), 1u);
  EXPECT_EQ(parse_version("42"), 42u);
}

TEST(VersionQuery, IsEmptyWithoutVersionAndCheckedWithOne) {
  EXPECT_EQ(version_query(std::nullopt, '?'), "");
  EXPECT_EQ(version_query(std::string("2"), '?'), "?version=2");
  EXPECT_EQ(version_query(std::string("12"), '&'), "&version=12");
  EXPECT_THAT(usage_error_of([] { version_query(std::string("two"), '?'); }), HasSubstr("'two'"));
}

TEST(ParseVersion, RefusesAnythingElseNamingIt) {
  for (const std::string bad : {"", "0", "-1", "+2", "v2", "2a", "1.5", " 3", "99999999999999"}) {
    EXPECT_THAT(usage_error_of([&] { parse_version(bad); }),
                HasSubstr("VERSION must be a version number (1, 2, 3...), not '" + bad + "'"))
        << bad;
  }
}

TEST(ParseAssignments, KeepsTheOrderAndSplitsAtTheFirstEqualSign) {
  const Assignments a =
      parse_assignments({"jws.kid=shop-2027", "amazonpay.public-key-id=AB=C", "x.y="});
  EXPECT_EQ(
      a, (Assignments{{"jws.kid", "shop-2027"}, {"amazonpay.public-key-id", "AB=C"}, {"x.y", ""}}));
}

TEST(ParseAssignments, RefusesAWordWithoutEqualSignAnEmptyNameAndRepeats) {
  EXPECT_THAT(usage_error_of([] { parse_assignments({"jws.kid"}); }),
              HasSubstr("'jws.kid' is not SETTING=VALUE"));
  EXPECT_THAT(usage_error_of([] { parse_assignments({"=x"}); }),
              HasSubstr("has no SETTING before"));
  EXPECT_THAT(usage_error_of([] {
                parse_assignments({"a.b=1", "a.b=2"});
              }),
              HasSubstr("setting 'a.b' is given twice"));
  EXPECT_THAT(usage_error_of([] { parse_assignments({}); }), HasSubstr("missing SETTING=VALUE"));
}

// The route replaces a version's settings: the ones not named are sent as they were.
TEST(SettingsBody, ChangesOnlyWhatIsNamedAndAnEmptyValueRemoves) {
  const Json current = Json::parse(R"({"jws.kid":"old","mypos.key-index":"1","x.y":"gone"})");
  const Json body = settings_body(current, {{"jws.kid", "new"}, {"x.y", ""}, {"a.b", "c"}});
  EXPECT_EQ(body.dump(), R"({"settings":{"jws.kid":"new","mypos.key-index":"1","a.b":"c"}})");
  EXPECT_EQ(settings_body(nullptr, {{"a.b", ""}}).dump(), R"({"settings":{}})");
}

TEST(RotateBody, NoShapeIsTheActiveVersionsShape) { EXPECT_EQ(rotate_body({}).dump(), "{}"); }

TEST(RotateBody, EachTypeWithItsSize) {
  EXPECT_EQ(rotate_body({"rsa", 3072u, std::nullopt}).dump(), R"({"type":"rsa","bits":3072})");
  EXPECT_EQ(rotate_body({std::nullopt, 4096u, std::nullopt}).dump(),
            R"({"type":"rsa","bits":4096})");
  EXPECT_EQ(rotate_body({"ec", std::nullopt, "P-384"}).dump(), R"({"type":"ec","curve":"P-384"})");
  EXPECT_EQ(rotate_body({std::nullopt, std::nullopt, "P-256"}).dump(),
            R"({"type":"ec","curve":"P-256"})");
  EXPECT_EQ(rotate_body({"ed25519", std::nullopt, std::nullopt}).dump(), R"({"type":"ed25519"})");
}

TEST(RotateBody, RefusesSizesAndCurvesThatDoNotFit) {
  EXPECT_THAT(usage_error_of([] {
                rotate_body({"rsa", std::nullopt, std::nullopt});
              }),
              HasSubstr("missing --bits"));
  EXPECT_THAT(usage_error_of([] {
                rotate_body({"rsa", 1024u, std::nullopt});
              }),
              HasSubstr("--bits: 2048, 3072 or 4096, not 1024"));
  EXPECT_THAT(usage_error_of([] {
                rotate_body({"rsa", 2048u, "P-256"});
              }),
              HasSubstr("--curve is for EC keys"));
  EXPECT_THAT(usage_error_of([] {
                rotate_body({"ec", std::nullopt, std::nullopt});
              }),
              HasSubstr("missing --curve"));
  EXPECT_THAT(usage_error_of([] {
                rotate_body({"ec", std::nullopt, "P-521"});
              }),
              HasSubstr("--curve: P-256 or P-384, not 'P-521'"));
  EXPECT_THAT(usage_error_of([] {
                rotate_body({std::nullopt, 2048u, "P-256"});
              }),
              HasSubstr("--bits is for RSA keys"));
  EXPECT_THAT(usage_error_of([] {
                rotate_body({"ed25519", 2048u, std::nullopt});
              }),
              HasSubstr("not for Ed25519 keys"));
  EXPECT_THAT(usage_error_of([] {
                rotate_body({"dsa", std::nullopt, std::nullopt});
              }),
              HasSubstr("--type: rsa, ec or ed25519, not 'dsa'"));
}

}  // namespace
}  // namespace p11signd::cli
