#include "cli/input.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <span>

#include "cli/errors.h"

namespace p11signd::cli {
namespace {

std::string errno_message(const std::string& name) { return name + ": " + std::strerror(errno); }

// How messages name what --in gave: "-" is standard input.
std::string input_name(const std::string& path) { return path == "-" ? "standard input" : path; }

// Closes the descriptor on every path out of the readers.
struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};

// Opens what --in names. A directory is refused here: read(2) on it fails with a bare EISDIR.
int open_input(const std::string& path) {
  if (path.empty()) throw UsageError("--in needs a file name");
  if (path == "-") return ::dup(STDIN_FILENO);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Failure(errno_message(path));
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    throw Failure(path + ": is a directory");
  }
  return fd;
}

// Appends everything fd holds to out with read(2); chunk is the caller's, so it can wipe it.
template <class String>
void read_all(const FdCloser& file, const std::string& path, std::size_t max_bytes,
              std::span<char> chunk, String& out) {
  if (file.fd < 0) throw Failure(errno_message(input_name(path)));
  while (true) {
    const ssize_t n = ::read(file.fd, chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Failure(errno_message(input_name(path)));
    if (n == 0) return;
    if (out.size() + static_cast<std::size_t>(n) > max_bytes) {
      throw Failure(input_name(path) + ": larger than " + std::to_string(max_bytes) + " bytes");
    }
    out.append(chunk.data(), static_cast<std::size_t>(n));
  }
}

// A read buffer for secrets, wiped however the read ends.
struct WipedChunk {
  std::array<char, 4096> bytes;
  ~WipedChunk() { OPENSSL_cleanse(bytes.data(), bytes.size()); }
};

}  // namespace

template <class T>
void WipingAllocator<T>::deallocate(T* p, std::size_t n) {
  OPENSSL_cleanse(p, n * sizeof(T));
  std::allocator<T>{}.deallocate(p, n);
}
template struct WipingAllocator<char>;

std::string read_input(const std::string& path, std::string_view what) {
  const FdCloser file{open_input(path)};
  if (path == "-" && ::isatty(STDIN_FILENO)) {
    std::cerr << "p11sign: reading " << what
              << " from standard input (end with Ctrl-D); or pass --in FILE\n";
  }
  std::string data;
  std::array<char, 65536> chunk;
  read_all(file, path, data.max_size(), chunk, data);
  return data;
}

SecretString read_secret_file(const std::string& path, std::size_t max_bytes) {
  const FdCloser file{open_input(path)};
  SecretString data;
  data.reserve(max_bytes);  // one allocation: no reallocation leaves a copy behind
  WipedChunk chunk;
  read_all(file, path, max_bytes, chunk.bytes, data);
  return data;
}

void append_json_string(SecretString& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out.append("\\n");
    } else if (u < 0x20) {
      out.append("\\u00");
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xf]);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

}  // namespace p11signd::cli
