#include "cli/input.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "cli/errors.h"

namespace p11signd::cli {
namespace {

std::string errno_message(const std::string& path) { return path + ": " + std::strerror(errno); }

// Closes the descriptor on every path out of read_secret_file.
struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

template <class T>
void WipingAllocator<T>::deallocate(T* p, std::size_t n) {
  OPENSSL_cleanse(p, n * sizeof(T));
  std::allocator<T>{}.deallocate(p, n);
}
template struct WipingAllocator<char>;

std::string read_input(const std::string& path) {
  if (path == "-") {
    std::ostringstream all;
    all << std::cin.rdbuf();
    if (std::cin.bad()) throw Failure("standard input: read error");
    return std::move(all).str();
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) throw Failure(errno_message(path));
  std::string data{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
  if (file.bad()) throw Failure(path + ": read error");
  return data;
}

SecretString read_secret_file(const std::string& path, std::size_t max_bytes) {
  const FdCloser file{path == "-" ? ::dup(STDIN_FILENO)
                                  : ::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (file.fd < 0) throw Failure(errno_message(path));
  SecretString data;
  data.reserve(max_bytes);  // one allocation: no reallocation leaves a copy behind
  char chunk[4096];
  while (true) {
    const ssize_t n = ::read(file.fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Failure(errno_message(path));
    if (n == 0) break;
    if (data.size() + static_cast<std::size_t>(n) > max_bytes) {
      OPENSSL_cleanse(chunk, sizeof chunk);
      throw Failure(path + ": larger than " + std::to_string(max_bytes) + " bytes");
    }
    data.append(chunk, static_cast<std::size_t>(n));
  }
  OPENSSL_cleanse(chunk, sizeof chunk);
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
