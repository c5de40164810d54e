#pragma once
// A secret held in memory only as long as needed and wiped (OPENSSL_cleanse) when released: PINs
// and, during import, private key PEM text. Move-only, so a copy can never outlive the wipe.

#include <cstddef>
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

// Reads a PIN from a file: the first line, without its line end. The file is read with read(2)
// into one buffer of fixed size that is wiped before it is released, so no stream buffer or
// reallocation leaves a copy behind. Refused, with an error that names the path (never the
// content): a file that cannot be read, an empty first line, a first line longer than
// kMaxPinLineBytes, and a file readable by its group or by others (the message says the mode and
// the chmod that fixes it).
Secret read_pin_file(const std::string& path);

// Reads a systemd credential ($CREDENTIALS_DIRECTORY/NAME, from LoadCredential=) like
// read_pin_file, without the mode check: systemd writes a credential 0400 and gives the service's
// user read access through an ACL entry, which st_mode shows as a group read bit (the ACL mask);
// the directory itself is private to the service.
Secret read_pin_credential(const std::string& name);

inline constexpr std::size_t kMaxPinLineBytes = 4095;

// The first line of what fd holds, read with read(2) into scratch (see read_pin_file); what names
// the source in errors. scratch is resized to kMaxPinLineBytes + 1 bytes, filled in place (never
// reallocated) and wiped, its whole capacity, when this returns or throws: the caller owns it so
// that a test can look at it afterwards.
Secret read_first_line(int fd, const std::string& what, std::string& scratch);

}  // namespace p11signd::pkcs11
