// The helpers behind import and the request paths, tested in process.

#include "cli/input.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "cli/daemon_call.h"
#include "cli/errors.h"

namespace p11signd::cli {
namespace {

TEST(AppendJsonString, RoundTripsEveryByteAJsonParserReadsBack) {
  std::string all;
  for (int c = 1; c < 128; ++c) all.push_back(static_cast<char>(c));
  SecretString out;
  append_json_string(out, all);
  EXPECT_EQ(nlohmann::json::parse(out).get<std::string>(), all);
}

TEST(AppendJsonString, PemNewlinesBecomeEscapes) {
  SecretString out;
  append_json_string(out, "-----BEGIN PRIVATE KEY-----\nAB\"\\\n");
  EXPECT_EQ(out, "\"-----BEGIN PRIVATE KEY-----\\nAB\\\"\\\\\\n\"");
}

class SecretFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (std::filesystem::temp_directory_path() /
             ("p11sign-input-test-" + std::to_string(::getpid()) + ".pem"))
                .string();
  }
  void TearDown() override { std::filesystem::remove(path_); }
  std::string path_;
};

TEST_F(SecretFileTest, ReadsTheWholeFile) {
  const std::string content(10000, 'k');
  std::ofstream(path_) << content;
  EXPECT_EQ(std::string(read_secret_file(path_).c_str()), content);
}

TEST_F(SecretFileTest, RefusesAFileAboveTheLimit) {
  std::ofstream(path_) << std::string(5000, 'k');
  EXPECT_THROW(read_secret_file(path_, 4096), Failure);
}

TEST_F(SecretFileTest, NamesAMissingFile) {
  try {
    read_secret_file(path_ + ".missing");
    FAIL() << "no exception";
  } catch (const Failure& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr(".missing: No such file or directory"));
  }
}

// Both readers serve --in; a message that does not say which file, or none at all, is no help.
std::string failure_of(const std::function<void()>& read) {
  try {
    read();
  } catch (const Failure& e) {
    return std::string("Failure: ") + e.what();
  } catch (const UsageError& e) {
    return std::string("UsageError: ") + e.what();
  }
  return "no exception";
}

TEST(ReadInput, NamesADirectory) {
  const std::string dir = std::filesystem::temp_directory_path().string();
  EXPECT_EQ(failure_of([&] { read_input(dir, "the input"); }),
            "Failure: " + dir + ": is a directory");
  EXPECT_EQ(failure_of([&] { read_secret_file(dir); }), "Failure: " + dir + ": is a directory");
}

TEST(ReadInput, AnEmptyNameIsAUsageError) {
  EXPECT_EQ(failure_of([] { read_input("", "the input"); }), "UsageError: --in needs a file name");
  EXPECT_EQ(failure_of([] { read_secret_file(""); }), "UsageError: --in needs a file name");
}

TEST(ReadInput, NamesAMissingFile) {
  EXPECT_EQ(failure_of([] { read_input("/nonexistent/in.bin", "the input"); }),
            "Failure: /nonexistent/in.bin: No such file or directory");
}

TEST_F(SecretFileTest, ReadInputReadsTheWholeFileByteForByte) {
  std::string content(200000, '\0');
  for (std::size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>(i * 7);
  std::ofstream(path_, std::ios::binary) << content;
  EXPECT_EQ(read_input(path_, "the input"), content);
}

TEST(PathSegment, EncodesEverythingButUnreservedCharacters) {
  EXPECT_EQ(path_segment("mypos-store1_A.b~"), "mypos-store1_A.b~");
  EXPECT_EQ(path_segment("a b/c?d%"), "a%20b%2Fc%3Fd%25");
  EXPECT_EQ(path_segment("\xc3\xa9"), "%C3%A9");
  EXPECT_EQ(key_path("k", "/sign"), "/v1/keys/k/sign");
}

TEST(DescribeError, UsesTheDaemonsCodeAndMessage) {
  HttpResponse res{403, "Forbidden", "application/json",
                   R"({"error":{"code":"forbidden","message":"key 'k' is not allowed"}})"};
  EXPECT_EQ(describe_error(res), "403 forbidden: key 'k' is not allowed");
  res = {500, "Internal Server Error", "text/plain", ""};
  EXPECT_EQ(describe_error(res), "500 Internal Server Error");
}

}  // namespace
}  // namespace p11signd::cli
