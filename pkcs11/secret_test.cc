#include "pkcs11/secret.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "pkcs11/rv.h"

namespace p11signd::pkcs11 {
namespace {

namespace fs = std::filesystem;

class SecretFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/p11secret.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& content) {
    const auto path = dir_ / name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
  fs::path dir_;
};

TEST_F(SecretFiles, PinFileFirstLineWithoutLineEnd) {
  EXPECT_EQ(read_pin_file(write("pin", "1234\n")).view(), "1234");
  EXPECT_EQ(read_pin_file(write("pin2", "98 76\r\nrest")).view(), "98 76");
}

TEST_F(SecretFiles, EmptyOrMissingPinFileNamesThePath) {
  const auto empty = write("empty", "\n");
  try {
    read_pin_file(empty);
    FAIL() << "an empty PIN file must be refused";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(empty), std::string::npos);
  }
  EXPECT_THROW(read_pin_file((dir_ / "missing").string()), Error);
}

TEST_F(SecretFiles, CredentialComesFromCredentialsDirectory) {
  // The credentials directory is dir_/creds and a PIN file waits one level up, in dir_/pin: without
  // the plain-name check, "../pin" would read it and succeed instead of being refused.
  fs::create_directory(dir_ / "creds");
  write("creds/pin", "4321");
  write("pin", "9999");
  ::setenv("CREDENTIALS_DIRECTORY", (dir_ / "creds").c_str(), 1);
  EXPECT_EQ(read_pin_credential("pin").view(), "4321");
  try {
    read_pin_credential("../pin");
    ADD_FAILURE() << "a credential name with a '/' must be refused";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("is not a plain name"), std::string::npos) << e.what();
  }
  ::unsetenv("CREDENTIALS_DIRECTORY");
  EXPECT_THROW(read_pin_credential("pin"), Error);
}

// True when the n bytes at p are all zero.
bool all_zero(const char* p, std::size_t n) {
  return std::all_of(p, p + n, [](char c) { return c == '\0'; });
}

// empty() alone would hold after a plain move or clear(), cleansed or not: so the secret is longer
// than the small-string buffer (it lives on the heap), and the test looks at that very buffer. A
// wiped string keeps its buffer (wipe_string clears, it does not free), so reading it is defined.
TEST(Secret, MoveLeavesSourceEmptyAndWipeClears) {
  const std::string value(64, 'k');
  std::string plain = value;
  const char* plain_buffer = plain.data();
  Secret a(std::move(plain));
  EXPECT_TRUE(plain.empty());
  ASSERT_EQ(plain.data(), plain_buffer);  // still owned by plain, so still readable
  ASSERT_GE(plain.capacity(), value.size());
  EXPECT_TRUE(all_zero(plain_buffer, value.size())) << "the source buffer was not cleansed";

  const char* buffer = a.view().data();
  Secret b(std::move(a));
  EXPECT_TRUE(a.empty());
  EXPECT_EQ(b.view(), value);
  EXPECT_EQ(b.view().data(), buffer);  // the buffer moved: no copy of the secret is left behind

  b.wipe();
  EXPECT_TRUE(b.empty());
  // Same heap buffer still held by b (a freed one would leave b on its small-string buffer).
  ASSERT_EQ(b.view().data(), buffer);
  EXPECT_TRUE(all_zero(buffer, value.size())) << "wipe() did not cleanse the buffer";
}

}  // namespace
}  // namespace p11signd::pkcs11
