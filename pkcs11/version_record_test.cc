#include "pkcs11/version_record.h"

#include <gtest/gtest.h>

#include <regex>

#include "pkcs11/rv.h"

namespace p11signd::pkcs11 {
namespace {

VersionRecord two_versions() {
  VersionRecord r;
  r.anchor_id = {0xab, 0xcd};
  r.anchor_label = "shop";
  r.serial = 4;
  r.next = 3;
  r.versions.push_back({1, {0xab, 0xcd}, "shop", VersionState::kRetiring, "", {}});
  r.versions.push_back({2,
                        {0x01, 0x02},
                        "shop.v2",
                        VersionState::kActive,
                        "2026-12-06T07:55:00Z",
                        {{"jws.kid", "shop-2"}}});
  return r;
}

std::string error_of(const std::string& json) {
  try {
    parse_version_record(json);
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kBadInput);
    return e.what();
  }
  ADD_FAILURE() << "accepted: " << json;
  return "";
}

TEST(VersionRecord, RoundTripsThroughJson) {
  const VersionRecord r = two_versions();
  const VersionRecord back = parse_version_record(to_json(r));
  EXPECT_EQ(back.anchor_id, r.anchor_id);
  EXPECT_EQ(back.anchor_label, "shop");
  EXPECT_EQ(back.serial, 4u);
  EXPECT_EQ(back.next, 3u);
  ASSERT_EQ(back.versions.size(), 2u);
  EXPECT_EQ(back.versions[1].label, "shop.v2");
  EXPECT_EQ(back.versions[1].id, (Bytes{0x01, 0x02}));
  EXPECT_EQ(back.versions[1].state, VersionState::kActive);
  EXPECT_EQ(back.versions[1].created, "2026-12-06T07:55:00Z");
  EXPECT_EQ(back.versions[1].settings.at("jws.kid"), "shop-2");
  EXPECT_EQ(back.versions[0].state, VersionState::kRetiring);
  EXPECT_EQ(record_label(r), "p11signd versions id=abcd");
}

TEST(VersionRecord, AnchorsTheSpecThatNamesVersionOne) {
  const VersionRecord r = two_versions();
  KeySpec by_label{"renamed", "shop", {}, false, false};
  KeySpec by_id{"other", "", {0xab, 0xcd}, false, false};
  KeySpec v2_by_id{"shop", "", {0x01, 0x02}, false, false};
  EXPECT_TRUE(r.anchors(by_label));
  EXPECT_TRUE(r.anchors(by_id));
  EXPECT_FALSE(r.anchors(v2_by_id));
}

TEST(VersionRecord, RefusesWhatItCannotTrust) {
  std::string good = to_json(two_versions());
  EXPECT_NE(error_of("not json").find("not a JSON object"), std::string::npos);
  EXPECT_NE(
      error_of(std::regex_replace(good, std::regex("\"format\":1"), "\"format\":2")).find("format"),
      std::string::npos);
  EXPECT_NE(error_of(std::regex_replace(good, std::regex("\"retiring\""), "\"active\""))
                .find("2 active versions"),
            std::string::npos);
  EXPECT_NE(error_of(std::regex_replace(good, std::regex("\"retiring\""), "\"asleep\""))
                .find("unknown state"),
            std::string::npos);
  EXPECT_NE(error_of(std::regex_replace(good, std::regex("\"next\":3"), "\"next\":2"))
                .find("past \"next\""),
            std::string::npos);
  EXPECT_NE(error_of(std::regex_replace(good, std::regex("\"serial\":4,"), "")).find("\"serial\""),
            std::string::npos);
}

TEST(VersionRecord, NowIsRfc3339Utc) {
  EXPECT_TRUE(std::regex_match(rfc3339_now(), std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")));
}

}  // namespace
}  // namespace p11signd::pkcs11
