#pragma once
// The end of an existing audit log file: the daemon continues the hash chain from its last line,
// and a line left without its newline (a write cut short) must not swallow the next record.

#include <string>

namespace p11signd::daemon {

struct FileTail {
  bool empty = true;  // no file, or an empty one
  bool ends_with_newline = true;
  std::string last_line;  // without the newline
};

// Reads backwards from the end, so a large log costs only its last line.
FileTail read_tail(const std::string& path);

}  // namespace p11signd::daemon
