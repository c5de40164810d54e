#pragma once
// The connection's read buffer. Beast parses a request out of it, but the bytes stay behind until a
// later read happens to overwrite them: the PEM of an imported private key would linger in the
// daemon's memory for as long as the connection lives, and in freed memory after. So the buffer's
// allocator wipes every block it gives back (growth, connection end), and wipe_spent() wipes the
// space no unread byte occupies once a request has been parsed (daemon/server/connection.cc).

#include <openssl/crypto.h>

#include <boost/beast/core/flat_buffer.hpp>
#include <memory>

namespace p11signd::daemon {

template <typename T>
struct WipingAllocator {
  using value_type = T;
  WipingAllocator() = default;
  template <typename U>
  WipingAllocator(const WipingAllocator<U>& /*other*/) {}  // NOLINT: converting, as allocators are
  T* allocate(std::size_t n) { return std::allocator<T>{}.allocate(n); }
  void deallocate(T* p, std::size_t n) {
    OPENSSL_cleanse(p, n * sizeof(T));
    std::allocator<T>{}.deallocate(p, n);
  }
  template <typename U>
  bool operator==(const WipingAllocator<U>& /*other*/) const {
    return true;
  }
};

using ReadBuffer = boost::beast::basic_flat_buffer<WipingAllocator<char>>;

// Wipes every byte of b's storage that holds no unread data. Unread bytes (a pipelined request)
// are kept, moved to the front of the storage if need be; nothing is allocated.
inline void wipe_spent(ReadBuffer& b) {
  const auto space = b.prepare(b.capacity() - b.size());
  OPENSSL_cleanse(space.data(), space.size());
}

}  // namespace p11signd::daemon
