#pragma once
// Token selection by RFC 7512 URI (pkcs11:token=...;serial=...), parsed by p11-kit. Never by slot
// number: SoftHSM moves a token to a new slot id when it is initialised, and HSMs renumber slots.

#include <memory>
#include <string>

#include "pkcs11/cryptoki.h"

struct p11_kit_uri;  // p11-kit/uri.h: typedef struct p11_kit_uri P11KitUri

namespace p11signd::pkcs11 {

class TokenUri final {
 public:
  // Throws Error(kBadInput) naming the URI and p11-kit's reason when it does not parse.
  explicit TokenUri(const std::string& uri);
  ~TokenUri();
  TokenUri(TokenUri&&) noexcept;
  TokenUri& operator=(TokenUri&&) noexcept;

  bool matches(const CK_TOKEN_INFO& info) const;
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  p11_kit_uri* uri_ = nullptr;
};

// The fixed-width, space-padded CK_UTF8CHAR fields of CK_TOKEN_INFO as trimmed strings.
std::string trimmed(const CK_UTF8CHAR* field, std::size_t width);

}  // namespace p11signd::pkcs11
