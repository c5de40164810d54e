#include "pkcs11/secret.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
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
  // Written for its owner only, as a PIN file must be (mode 0600 unless told otherwise).
  std::string write(const std::string& name, const std::string& content, mode_t mode = 0600) {
    const auto path = dir_ / name;
    std::ofstream(path, std::ios::binary) << content;
    EXPECT_EQ(::chmod(path.c_str(), mode), 0);
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

TEST_F(SecretFiles, PinFileReadableByGroupOrOthersIsRefusedWithTheFix) {
  EXPECT_EQ(read_pin_file(write("owner-only", "1234\n", 0400)).view(), "1234");
  for (const mode_t mode : {0640, 0604, 0644, 0660}) {
    const auto path = write("pin-" + std::to_string(mode), "1234\n", mode);
    try {
      read_pin_file(path);
      ADD_FAILURE() << "a PIN file of mode " << std::oct << mode << " must be refused";
    } catch (const Error& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find("'" + path + "'"), std::string::npos) << message;
      char octal[8];
      std::snprintf(octal, sizeof octal, "%04o", static_cast<unsigned>(mode));
      EXPECT_NE(message.find(std::string("mode ") + octal), std::string::npos) << message;
      EXPECT_NE(message.find("chmod go-rwx '" + path + "'"), std::string::npos) << message;
      EXPECT_EQ(message.find("1234"), std::string::npos) << "the PIN itself is never shown";
    }
  }
}

TEST_F(SecretFiles, PinFileWithAnOverlongFirstLineIsRefused) {
  EXPECT_EQ(read_pin_file(write("max", std::string(kMaxPinLineBytes, '7'))).view().size(),
            kMaxPinLineBytes);
  EXPECT_THROW(read_pin_file(write("long", std::string(kMaxPinLineBytes + 1, '7'))), Error);
}

TEST_F(SecretFiles, CredentialComesFromCredentialsDirectory) {
  // The credentials directory is dir_/creds and a PIN file waits one level up, in dir_/pin: without
  // the plain-name check, "../pin" would read it and succeed instead of being refused.
  fs::create_directory(dir_ / "creds");
  write("creds/pin", "4321", 0440);  // an ACL's mask shows as a group bit: not refused here
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

// The PIN's bytes are in read_first_line's scratch buffer only, and that buffer is zero after the
// call, whether the PIN was taken or refused.
TEST_F(SecretFiles, ReadFirstLineLeavesItsBufferWiped) {
  const std::string pin(40, 'p');  // longer than a small-string buffer: the scratch is on the heap
  for (const std::string& content : {pin + "\nsecond line " + pin, std::string("\n") + pin}) {
    const auto path = write("pin", content);
    const int fd = ::open(path.c_str(), O_RDONLY);
    ASSERT_GE(fd, 0);
    std::string scratch;
    const bool refused = content.front() == '\n';  // an empty first line
    try {
      const Secret secret = read_first_line(fd, "test PIN", scratch);
      EXPECT_FALSE(refused);
      EXPECT_EQ(secret.view(), pin);
    } catch (const Error& e) {
      EXPECT_TRUE(refused) << e.what();
    }
    ::close(fd);
    EXPECT_TRUE(scratch.empty());
    ASSERT_GE(scratch.capacity(), kMaxPinLineBytes + 1) << "the buffer was given back";
    EXPECT_TRUE(all_zero(scratch.data(), scratch.capacity())) << "the buffer was not wiped";
  }
}

// read_first_line reads from a pipe as well as from a file, and stops at the line end.
TEST(ReadFirstLine, ReadsAPipeUpToTheLineEnd) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const std::string content = "123456\nnext line";
  ASSERT_EQ(::write(fds[1], content.data(), content.size()), static_cast<ssize_t>(content.size()));
  ::close(fds[1]);
  std::string scratch;
  EXPECT_EQ(read_first_line(fds[0], "pipe", scratch).view(), "123456");
  ::close(fds[0]);
}

}  // namespace
}  // namespace p11signd::pkcs11
