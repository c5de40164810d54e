#include "schemes/content_digest.h"

#include <gtest/gtest.h>

#include <sstream>

#include "common/encoding.h"
#include "schemes/testing/test_key.h"

namespace p11signd::schemes {
namespace {

std::string unescape_newlines(std::string s) {
  for (size_t at; (at = s.find("\\n")) != std::string::npos;) s.replace(at, 2, "\n");
  return s;
}

TEST(ContentDigest, Rfc9530Examples) {
  std::istringstream in(testing::read_testdata("httpsig/content-digest.txt"));
  int cases = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto t1 = line.find('\t');
    const auto t2 = line.find('\t', t1 + 1);
    const std::string content = unescape_newlines(line.substr(0, t1));
    const std::string alg = line.substr(t1 + 1, t2 - t1 - 1);
    const std::string expected = line.substr(t2 + 1);
    EXPECT_EQ(base64_encode(*content_digest_of(alg, as_bytes(content))), expected) << line;
    const std::string field = content_digest_field({alg}, as_bytes(content));
    EXPECT_EQ(field, alg + "=:" + expected + ":");
    EXPECT_EQ(content_digest_mismatch(field, as_bytes(content)), std::nullopt);
    ++cases;
  }
  EXPECT_EQ(cases, 7);
}

TEST(ContentDigest, BothAlgorithmsInOneField) {
  EXPECT_EQ(content_digest_field({"sha-256", "sha-512"}, as_bytes("{\"hello\": \"world\"}\n")),
            "sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:, "
            "sha-512=:YMAam51Jz/jOATT6/zvHrLVgOYTGFy1d6GJiOHTohq4yP+pgk4vf2aCsyRZOtw8MjkM7iw7yZ/"
            "WkppmM44T3qg==:");
  EXPECT_THROW(content_digest_field({"md5"}, as_bytes("")), std::invalid_argument);
}

TEST(ContentDigest, MismatchesAreNamed) {
  const std::string field = content_digest_field({"sha-256"}, as_bytes("a"));
  EXPECT_EQ(content_digest_mismatch(field, as_bytes("b")),
            "Content-Digest sha-256 does not match the body");
  EXPECT_EQ(content_digest_mismatch("md5=:AAAA:", as_bytes("a")),
            "Content-Digest has no sha-256 or sha-512 member");
  EXPECT_NE(content_digest_mismatch("sha-256=abc", as_bytes("a")), std::nullopt);
  EXPECT_NE(content_digest_mismatch("sha-256=:", as_bytes("a")), std::nullopt);
  // A wrong member beside a right one still fails.
  EXPECT_NE(content_digest_mismatch(field + ", sha-512=:AAAA:", as_bytes("a")), std::nullopt);
}

}  // namespace
}  // namespace p11signd::schemes
