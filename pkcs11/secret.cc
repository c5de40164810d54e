#include "pkcs11/secret.h"

#include <openssl/crypto.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>

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

Secret read_pin_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error(ErrorCategory::kPermanent,
                "cannot read PIN file '" + path + "': " + std::strerror(errno));
  }
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto end = content.find_first_of("\r\n");
  std::string first_line = content.substr(0, end);
  wipe_string(content);
  if (first_line.empty()) {
    throw Error(ErrorCategory::kPermanent, "PIN file '" + path + "' is empty");
  }
  return Secret(std::move(first_line));
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
  return read_pin_file(std::string(dir) + "/" + name);
}

}  // namespace p11signd::pkcs11
