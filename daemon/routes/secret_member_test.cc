#include "daemon/routes/secret_member.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "daemon/server/http.h"

namespace p11signd::daemon {
namespace {

bool all_zero(const std::string& s) {
  return std::all_of(s.data(), s.data() + s.capacity(), [](char c) { return c == '\0'; });
}

// The body a client sends: the secret JSON-encoded by an ordinary encoder, among other members.
std::string body_with(const std::string& secret) {
  return R"({"name":"shop","pem":)" + nlohmann::json(secret).dump() + R"(,"label":"x"})";
}

TEST(SecretMember, DecodesTheValueAndLeavesTheRestForTheParser) {
  const std::string secret = "-----BEGIN PRIVATE KEY-----\nMIIE\"/\\\t\x01\n-----END-----\n";
  std::string body =
      R"({"name":"shop", "pem" : "-----BEGIN PRIVATE KEY-----\nMI\u0049E\"\/\\\t\u0001)"
      R"(\n-----END-----\n" ,"label":"x"})";
  const std::size_t length = body.size();
  const WipedString pem = take_secret_member(body, "pem");
  ASSERT_TRUE(pem);
  EXPECT_EQ(*pem, secret);
  EXPECT_EQ(body.size(), length);
  EXPECT_EQ(body.find("BEGIN"), std::string::npos) << body;
  EXPECT_EQ(body.find("MI"), std::string::npos) << body;
  const auto parsed = parse_json_object(body);
  EXPECT_EQ(parsed.at("pem"), "");
  EXPECT_EQ(parsed.at("name"), "shop");
  EXPECT_EQ(parsed.at("label"), "x");
}

// Whatever an encoder writes (every control character, quotes, backslashes, multi-byte UTF-8,
// characters outside the BMP), the decoded value is what was encoded; nlohmann's ensure_ascii
// output spells the non-ASCII ones as \u escapes and surrogate pairs.
TEST(SecretMember, DecodesWhatAnEncoderWrites) {
  std::string secret;
  for (int c = 1; c < 0x80; ++c) secret.push_back(static_cast<char>(c));
  secret += "\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80";  // e-acute, euro sign, an emoji
  for (const bool ascii : {false, true}) {
    std::string body = R"({"pem":)" + nlohmann::json(secret).dump(-1, ' ', ascii) + "}";
    const WipedString pem = take_secret_member(body, "pem");
    ASSERT_TRUE(pem);
    EXPECT_EQ(*pem, secret) << (ascii ? "ensure_ascii" : "plain");
  }
}

TEST(SecretMember, OnlyTheTopLevelMemberIsTakenWhateverItsKeyLooksLike) {
  std::string body =
      R"({"a":"}\"{,\"pem\":\"decoy\"","x":{"pem":"nested"},"l":[1,{"pem":"in array"}],)"
      R"("n":-1.5e3,"t":true,"z":null,"p\u0065m":"top"})";
  const WipedString pem = take_secret_member(body, "pem");
  ASSERT_TRUE(pem);
  EXPECT_EQ(*pem, "top");
  const auto parsed = parse_json_object(body);
  EXPECT_EQ(parsed.at("x").at("pem"), "nested");
  EXPECT_EQ(parsed.at("l").at(1).at("pem"), "in array");
  EXPECT_EQ(parsed.at("a"), "}\"{,\"pem\":\"decoy\"");
}

TEST(SecretMember, NoStringMemberLeavesTheBodyAlone) {
  for (const std::string original :
       {R"({"pem":1})", R"({"name":"k"})", R"(["pem","x"])", "not json", "", R"({"pem":)",
        R"({"pem":{"pem":"x"}})", R"(  {  } )"}) {
    std::string body = original;
    EXPECT_FALSE(take_secret_member(body, "pem")) << original;
    EXPECT_EQ(body, original);
  }
}

TEST(SecretMember, BadStringOrTwoMembersAre400WithTheValuesBlanked) {
  for (const std::string original :
       {R"({"pem":"SECRET\x"})", "{\"pem\":\"SECRET\x01\"}", R"({"pem":"SECRET\ud800"})",
        R"({"pem":"SECRET\udc00x"})", R"({"pem":"SECRET\u12G4"})",
        R"({"pem":"SECRET","pem":"SECRET"})"}) {
    std::string body = original;
    try {
      take_secret_member(body, "pem");
      ADD_FAILURE() << "accepted " << original;
    } catch (const ApiError& e) {
      EXPECT_EQ(e.status(), http::status::bad_request);
      EXPECT_NE(std::string(e.what()).find("'pem'"), std::string::npos) << e.what();
    }
    EXPECT_EQ(body.find("SECRET"), std::string::npos) << body;
  }
}

// Every prefix of a body, and the body with each byte changed: the scan stays inside the body
// (ASan checks this in the sanitizer build) and either takes a value or leaves the body alone.
TEST(SecretMember, CutOrDamagedBodiesAreScannedSafely) {
  const std::string full = R"({"x":[{"a":"\"]}"}],"pem":"ab\\c\u00e9","y":1})";
  for (std::size_t n = 0; n <= full.size(); ++n) {
    std::string body = full.substr(0, n);
    try {
      take_secret_member(body, "pem");
    } catch (const ApiError&) {
    }
  }
  for (std::size_t i = 0; i < full.size(); ++i) {
    for (const char c : {'"', '\\', '{', '}', '[', ']', ',', ':', ' '}) {
      std::string body = full;
      body[i] = c;
      try {
        take_secret_member(body, "pem");
      } catch (const ApiError&) {
      }
    }
  }
}

// The route's flow: the value taken, the rest parsed, the body wiped. Afterwards neither the body
// nor the decoded value's buffer holds a byte of it.
TEST(SecretMember, BodyAndValueAreZeroAfterWiping) {
  const std::string secret(300, 'S');
  std::string body = body_with(secret);
  WipedString pem = take_secret_member(body, "pem");
  ASSERT_TRUE(pem);
  EXPECT_EQ(parse_json_object(body).at("name"), "shop");
  wipe_in_place(body);
  EXPECT_TRUE(body.empty());
  EXPECT_TRUE(all_zero(body)) << "the body's buffer was not wiped";
  wipe_in_place(*pem);  // what the holder's deleter does when the last user lets go
  EXPECT_TRUE(all_zero(*pem)) << "the value's buffer was not wiped";
}

}  // namespace
}  // namespace p11signd::daemon
