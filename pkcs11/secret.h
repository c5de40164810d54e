#pragma once
// A secret held in memory only as long as needed and wiped (OPENSSL_cleanse) when released: PINs
// and, during import, private key PEM text. Move-only, so a copy can never outlive the wipe.

#include <string>
#include <string_view>

namespace p11signd::pkcs11 {

class Secret final {
 public:
  Secret() = default;
  explicit Secret(std::string&& value);  // takes the value and wipes the moved-from buffer
  ~Secret();
  Secret(Secret&& other) noexcept;
  Secret& operator=(Secret&& other) noexcept;
  Secret(const Secret&) = delete;
  Secret& operator=(const Secret&) = delete;

  std::string_view view() const { return value_; }
  bool empty() const { return value_.empty(); }
  void wipe();

 private:
  std::string value_;
};

// Wipes a std::string's buffer in place (for secrets that arrive as plain strings, e.g. a JSON
// field).
void wipe_string(std::string& s);

// Reads a PIN from a file: the first line, without its line end. An empty PIN or an unreadable file
// is an error that names the path (never the content). File permissions are the operator's (and
// systemd's) business.
Secret read_pin_file(const std::string& path);

// Reads a systemd credential ($CREDENTIALS_DIRECTORY/NAME, from LoadCredential=), same rules as
// read_pin_file.
Secret read_pin_credential(const std::string& name);

}  // namespace p11signd::pkcs11
