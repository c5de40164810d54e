// The zero-failure switch on the fake store: 16 clients sign while a new version is rotated in,
// activated and the old one retired (daemon/testing/rotation_under_load.h says what is checked).
#include <gtest/gtest.h>

#include <iostream>

#include "daemon/testing/rotation_under_load.h"

namespace p11signd::daemon {
namespace {

using namespace p11signd::daemon::testing;

TEST(ServerRotation, SixteenClientsSignThroughTheSwitchWithoutAnError) {
  TestDaemon d;
  const RotationUnderLoad plan;
  const RotationOutcome out = sign_while_rotating(d, plan);
  const auto versions = d.store().versions(plan.key);
  ASSERT_EQ(versions.size(), 2u);
  const auto problems = rotation_problems(out, versions[0].spki_der, versions[1].spki_der,
                                          d.audit_records(), plan.key);
  for (const auto& p : problems) ADD_FAILURE() << p;
  EXPECT_EQ(versions[0].state, VersionState::kRetired);
  EXPECT_EQ(versions[1].state, VersionState::kActive);
  std::size_t by_new = 0;
  for (const auto& a : out.answers) by_new += a.key_version == out.new_version;
  std::cout << out.answers.size() << " signatures, " << by_new << " by version " << out.new_version
            << '\n';
  EXPECT_GT(by_new, 0u);
  EXPECT_LT(by_new, out.answers.size());
}

// The check itself can fail: an answer naming the wrong version is caught, as is one that does
// not verify with the key of the version it names.
TEST(ServerRotation, TheChecksCatchAWrongVersionAndABadSignature) {
  TestDaemon d;
  const RotationUnderLoad plan{"demo", 2, 10};
  RotationOutcome out = sign_while_rotating(d, plan);
  const auto versions = d.store().versions(plan.key);
  ASSERT_EQ(versions.size(), 2u);
  ASSERT_TRUE(rotation_problems(out, versions[0].spki_der, versions[1].spki_der, d.audit_records(),
                                plan.key)
                  .empty());
  RotationOutcome forged = out;
  auto last = std::find_if(forged.answers.rbegin(), forged.answers.rend(),
                           [](const SignedAnswer& a) { return a.phase_sent >= kActivated; });
  ASSERT_NE(last, forged.answers.rend());
  last->key_version = out.old_version;
  EXPECT_FALSE(rotation_problems(forged, versions[0].spki_der, versions[1].spki_der,
                                 d.audit_records(), plan.key)
                   .empty());
  forged = out;
  forged.answers.front().signature.back() ^= 1;
  EXPECT_FALSE(rotation_problems(forged, versions[0].spki_der, versions[1].spki_der,
                                 d.audit_records(), plan.key)
                   .empty());
}

}  // namespace
}  // namespace p11signd::daemon
