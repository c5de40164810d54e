#include "daemon/server/read_buffer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <string_view>

namespace p11signd::daemon {
namespace {

void append(ReadBuffer& b, std::string_view text) {
  auto space = b.prepare(text.size());
  std::copy(text.begin(), text.end(), static_cast<char*>(space.data()));
  b.commit(text.size());
}

// Every byte of the storage: the unread data, then all the rest.
std::string storage(ReadBuffer& b) {
  const std::string unread(static_cast<const char*>(b.data().data()), b.size());
  const auto rest = b.prepare(b.capacity() - b.size());
  return unread + std::string(static_cast<const char*>(rest.data()), rest.size());
}

TEST(ReadBuffer, WipeSpentLeavesNothingOfAParsedRequest) {
  ReadBuffer b;
  append(b, "POST /v1/keys/import HTTP/1.1\r\n\r\n-----BEGIN PRIVATE KEY-----SECRET");
  b.consume(b.size());
  ASSERT_NE(storage(b).find("SECRET"), std::string::npos) << "the test needs the stale bytes";
  wipe_spent(b);
  const std::string after = storage(b);
  EXPECT_EQ(std::count(after.begin(), after.end(), '\0'), static_cast<long>(after.size()));
}

TEST(ReadBuffer, WipeSpentKeepsAPipelinedRequest) {
  ReadBuffer b;
  const std::string first = "POST /a HTTP/1.1\r\nContent-Length: 6\r\n\r\nSECRET";
  append(b, first + "GET /v1/health HTTP/1.1\r\n\r\n");
  b.consume(first.size());
  const std::size_t capacity = b.capacity();
  wipe_spent(b);
  EXPECT_EQ(b.capacity(), capacity) << "nothing is allocated";
  ASSERT_EQ(b.size(), 27u);
  EXPECT_EQ(std::string_view(static_cast<const char*>(b.data().data()), b.size()),
            "GET /v1/health HTTP/1.1\r\n\r\n");
  EXPECT_EQ(storage(b).find("SECRET"), std::string::npos);
}

}  // namespace
}  // namespace p11signd::daemon
