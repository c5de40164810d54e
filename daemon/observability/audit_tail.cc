#include "daemon/observability/audit_tail.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace p11signd::daemon {
namespace {

// The bytes [from, to) of fd; fewer when the file is shorter.
std::string read_range(int fd, off_t from, off_t to) {
  std::string out(static_cast<std::size_t>(to - from), '\0');
  std::size_t got = 0;
  while (got < out.size()) {
    const ssize_t n = pread(fd, out.data() + got, out.size() - got, from + static_cast<off_t>(got));
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  out.resize(got);
  return out;
}

}  // namespace

FileTail read_tail(const std::string& path) {
  FileTail tail;
  // O_NONBLOCK: a FIFO given as the log must not hold the start up.
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return tail;
  struct stat st {};
  if (fstat(fd, &st) != 0 || st.st_size == 0) {
    close(fd);
    return tail;
  }
  tail.empty = false;
  off_t end = st.st_size;
  if (read_range(fd, end - 1, end) == "\n") {
    --end;
  } else {
    tail.ends_with_newline = false;
  }
  constexpr off_t kChunk = 4096;
  std::string line;
  for (off_t at = end; at > 0;) {
    const off_t from = at > kChunk ? at - kChunk : 0;
    line.insert(0, read_range(fd, from, at));
    at = from;
    const auto nl = line.rfind('\n');
    if (nl != std::string::npos) {
      line.erase(0, nl + 1);
      break;
    }
  }
  close(fd);
  tail.last_line = std::move(line);
  return tail;
}

}  // namespace p11signd::daemon
