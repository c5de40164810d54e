#pragma once
// Reading what a command sends: raw bytes, JSON text, or a private key that must not linger in
// memory.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace p11signd::cli {

// Allocations that are wiped with OPENSSL_cleanse before they are freed, so that a string that
// grows (and reallocates) leaves no stale copy of a private key on the heap.
template <class T>
struct WipingAllocator {
  using value_type = T;
  WipingAllocator() = default;
  template <class U>
  WipingAllocator(const WipingAllocator<U>&) {}
  T* allocate(std::size_t n) { return std::allocator<T>{}.allocate(n); }
  void deallocate(T* p, std::size_t n);
  bool operator==(const WipingAllocator&) const = default;
};

using SecretString = std::basic_string<char, std::char_traits<char>, WipingAllocator<char>>;

// What --in names, "-" meaning standard input. Throws Failure naming the file when it cannot be
// read or is a directory, and UsageError when the name is empty. When standard input is a
// terminal, says on stderr that `what` ("the data to sign") is being read from it and how to end
// it: a command waiting silently looks hung.
std::string read_input(const std::string& path, std::string_view what);

// Reads a private key file with read(2) straight into wiped memory (no stdio buffer keeps a copy).
// Throws as read_input does, and Failure when the file is larger than max_bytes.
SecretString read_secret_file(const std::string& path, std::size_t max_bytes = 1 << 20);

// Appends s as a JSON string literal (quotes included) without any intermediate copy.
void append_json_string(SecretString& out, std::string_view s);

}  // namespace p11signd::cli
