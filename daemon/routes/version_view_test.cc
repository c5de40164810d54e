#include "daemon/routes/version_view.h"

#include <gtest/gtest.h>

#include "common/encoding.h"

namespace p11signd::daemon {
namespace {

KeyInfo version(unsigned number, VersionState state, VersionSettings settings = {}) {
  KeyInfo info;
  info.name = "shop";
  info.version = number;
  info.state = state;
  info.settings = std::move(settings);
  return info;
}

TEST(VersionView, KidIsTheVersionsOwnThenTheConfiguredOneForVersionOneThenNameAndNumber) {
  const schemes::KeySettings configured = {{"jws.kid", "configured"}};
  EXPECT_EQ(version_kid(version(1, VersionState::kActive), {}), "shop-v1");
  EXPECT_EQ(version_kid(version(1, VersionState::kActive), configured), "configured");
  EXPECT_EQ(version_kid(version(2, VersionState::kPending), configured), "shop-v2");
  EXPECT_EQ(version_kid(version(2, VersionState::kPending, {{"jws.kid", "own"}}), configured),
            "own");
}

TEST(VersionView, SigningSettingsOverlayTheVersionsOwnAndNeverInheritAKid) {
  const schemes::KeySettings configured = {{"amazonpay.region", "eu"},
                                           {"amazonpay.public-key-id", "FIRST"},
                                           {"client-assertion.kid", "first-kid"}};
  auto one = signing_settings(version(1, VersionState::kActive), configured);
  EXPECT_EQ(one, configured);
  auto two = signing_settings(
      version(2, VersionState::kActive, {{"amazonpay.public-key-id", "SECOND"}}), configured);
  EXPECT_EQ(two["amazonpay.region"], "eu");
  EXPECT_EQ(two["amazonpay.public-key-id"], "SECOND");
  EXPECT_EQ(two["client-assertion.kid"], "shop-v2");
  EXPECT_EQ(two["jws.kid"], "shop-v2");
  auto own = signing_settings(version(2, VersionState::kActive, {{"ob-jws.kid", "ob"}}), {});
  EXPECT_EQ(own["ob-jws.kid"], "ob");
}

std::vector<unsigned> numbers(const std::vector<KeyInfo>& versions) {
  std::vector<unsigned> out;
  for (const auto& v : versions) out.push_back(v.version);
  return out;
}

TEST(VersionView, VerificationTriesTheKidsVersionThenTheActiveThenTheNewestAndNeverTheRetired) {
  const std::vector<KeyInfo> versions = {
      version(1, VersionState::kRetired), version(2, VersionState::kRetiring),
      version(3, VersionState::kActive), version(4, VersionState::kPending)};
  EXPECT_EQ(numbers(verification_order(versions)), (std::vector<unsigned>{3, 4, 2}));
  EXPECT_EQ(numbers(verification_order(versions, "shop-v2")), (std::vector<unsigned>{2, 3, 4}));
  EXPECT_EQ(numbers(verification_order(versions, "shop-v1")), (std::vector<unsigned>{3, 4, 2}));
}

TEST(VersionView, SignatureKidComesFromTheJwsHeaderOfTheSchemesInput) {
  const std::string header = base64url_encode(as_bytes(R"({"alg":"RS256","kid":"shop-v2"})"));
  const nlohmann::ordered_json jws = {{"jws", header + ".e30.c2ln"}};
  EXPECT_EQ(signature_kid("jws", jws), "shop-v2");
  EXPECT_EQ(signature_kid("ob-jws", {{"x-jws-signature", header + "..c2ln"}}), "shop-v2");
  EXPECT_EQ(signature_kid("raw", jws), std::nullopt);
  EXPECT_EQ(signature_kid("jws", {{"jws", "not base64!.x.y"}}), std::nullopt);
  const std::string no_kid = base64url_encode(as_bytes(R"({"alg":"RS256"})"));
  EXPECT_EQ(signature_kid("jws", {{"jws", no_kid + ".e30.c2ln"}}), std::nullopt);
}

TEST(VersionView, VersionNumbersAreWrittenInDecimalFromOne) {
  EXPECT_EQ(parse_version_number("1"), 1u);
  EXPECT_EQ(parse_version_number("12"), 12u);
  for (const char* bad : {"", "0", "01", "-1", "1.0", "x", "1234567890"}) {
    EXPECT_EQ(parse_version_number(bad), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace p11signd::daemon
