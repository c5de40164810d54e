#include "pkcs11/token_uri.h"

#include <p11-kit/uri.h>

#include <utility>

#include "pkcs11/rv.h"

namespace p11signd::pkcs11 {

TokenUri::TokenUri(const std::string& uri) : text_(uri), uri_(p11_kit_uri_new()) {
  const int rc = p11_kit_uri_parse(uri.c_str(), P11_KIT_URI_FOR_TOKEN, uri_);
  if (rc != P11_KIT_URI_OK) {
    p11_kit_uri_free(uri_);
    uri_ = nullptr;
    throw Error(ErrorCategory::kBadInput,
                "token URI '" + uri + "' is not a valid PKCS#11 URI: " + p11_kit_uri_message(rc));
  }
}

TokenUri::~TokenUri() {
  if (uri_ != nullptr) p11_kit_uri_free(uri_);
}

TokenUri::TokenUri(TokenUri&& other) noexcept
    : text_(std::move(other.text_)), uri_(std::exchange(other.uri_, nullptr)) {}

TokenUri& TokenUri::operator=(TokenUri&& other) noexcept {
  std::swap(text_, other.text_);
  std::swap(uri_, other.uri_);
  return *this;
}

bool TokenUri::matches(const CK_TOKEN_INFO& info) const {
  // p11-kit takes a non-const pointer but does not modify the info.
  return p11_kit_uri_match_token_info(uri_, const_cast<CK_TOKEN_INFO*>(&info)) == 1;
}

std::string trimmed(const CK_UTF8CHAR* field, std::size_t width) {
  std::string s(reinterpret_cast<const char*>(field), width);
  const auto end = s.find_last_not_of(' ');
  s.erase(end == std::string::npos ? 0 : end + 1);
  return s;
}

}  // namespace p11signd::pkcs11
