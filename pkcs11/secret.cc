#include "pkcs11/secret.h"

#include <openssl/crypto.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "pkcs11/rv.h"

namespace p11signd::pkcs11 {

void wipe_string(std::string& s) {
  // Wipe the whole capacity: earlier, longer contents may linger past size().
  s.resize(s.capacity());
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

Secret::Secret(std::string&& value) {
  value_.reserve(value.size());
  value_.assign(value);
  wipe_string(value);
}

Secret::~Secret() { wipe(); }

Secret::Secret(Secret&& other) noexcept : value_(std::move(other.value_)) { other.wipe(); }

Secret& Secret::operator=(Secret&& other) noexcept {
  if (this != &other) {
    wipe();
    value_ = std::move(other.value_);
    other.wipe();
  }
  return *this;
}

void Secret::wipe() { wipe_string(value_); }

namespace {

// Wipes a string whatever way the scope is left.
class WipedOnExit {
 public:
  explicit WipedOnExit(std::string& s) : s_(s) {}
  ~WipedOnExit() { wipe_string(s_); }
  WipedOnExit(const WipedOnExit&) = delete;
  WipedOnExit& operator=(const WipedOnExit&) = delete;

 private:
  std::string& s_;
};

// Closes a descriptor when the scope is left.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() { ::close(fd_); }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;

 private:
  int fd_;
};

Error read_error(const std::string& what) {
  return Error(ErrorCategory::kPermanent, "cannot read " + what + ": " + std::strerror(errno));
}

int open_for_reading(const std::string& path, const std::string& what) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) throw read_error(what);
  return fd;
}

std::string octal_mode(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

// The PIN's file must be for its owner only: a PIN that any other local user can read unlocks every
// key on the token for them, outside the daemon and its audit log. Checked on the open descriptor,
// so that the file checked is the file read.
void require_private_mode(int fd, const std::string& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw read_error("PIN file '" + path + "'");
  if ((st.st_mode & (S_IRGRP | S_IROTH)) == 0) return;
  throw Error(ErrorCategory::kPermanent,
              "PIN file '" + path + "' is readable by its group or by others (mode " +
                  octal_mode(st.st_mode) + "); make it readable by its owner only: chmod go-rwx '" +
                  path + "'");
}

}  // namespace

Secret read_first_line(int fd, const std::string& what, std::string& buffer) {
  // One allocation of fixed size, filled in place: nothing is reallocated, so nothing but this
  // buffer ever holds the bytes, and the guard wipes all of it on every way out.
  wipe_string(buffer);
  buffer.resize(kMaxPinLineBytes + 1);
  WipedOnExit guard(buffer);
  std::size_t filled = 0;
  std::size_t line_end = std::string::npos;
  while (filled < buffer.size() && line_end == std::string::npos) {
    const ssize_t n = ::read(fd, buffer.data() + filled, buffer.size() - filled);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw read_error(what);
    if (n == 0) break;
    const auto* begin = buffer.data() + filled;
    const auto* found =
        std::find_if(begin, begin + n, [](char c) { return c == '\n' || c == '\r'; });
    if (found != begin + n) line_end = static_cast<std::size_t>(found - buffer.data());
    filled += static_cast<std::size_t>(n);
  }
  if (line_end == std::string::npos) {
    if (filled == buffer.size()) {
      throw Error(ErrorCategory::kPermanent, what + ": the first line is longer than " +
                                                 std::to_string(kMaxPinLineBytes) + " bytes");
    }
    line_end = filled;
  }
  if (line_end == 0) throw Error(ErrorCategory::kPermanent, what + " is empty");
  buffer.resize(line_end);  // shrinking keeps the buffer; the guard still wipes its whole capacity
  return Secret(std::move(buffer));
}

Secret read_pin_file(const std::string& path) {
  const std::string what = "PIN file '" + path + "'";
  const int fd = open_for_reading(path, what);
  FdCloser closer(fd);
  require_private_mode(fd, path);
  std::string scratch;
  return read_first_line(fd, what, scratch);
}

Secret read_pin_credential(const std::string& name) {
  const char* dir = std::getenv("CREDENTIALS_DIRECTORY");
  if (dir == nullptr || *dir == '\0') {
    throw Error(ErrorCategory::kPermanent,
                "pin-credential '" + name +
                    "' is set but $CREDENTIALS_DIRECTORY is not (use LoadCredential= in the unit)");
  }
  if (name.empty() || name.find('/') != std::string::npos) {
    throw Error(ErrorCategory::kPermanent,
                "pin-credential name '" + name + "' is not a plain name");
  }
  const std::string path = std::string(dir) + "/" + name;
  const std::string what = "pin-credential '" + name + "' (" + path + ")";
  const int fd = open_for_reading(path, what);
  FdCloser closer(fd);
  std::string scratch;
  return read_first_line(fd, what, scratch);
}

}  // namespace p11signd::pkcs11
