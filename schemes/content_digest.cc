#include "schemes/content_digest.h"

#include <openssl/evp.h>

#include <stdexcept>

#include "schemes/structured_fields.h"

namespace p11signd::schemes {

std::optional<Bytes> content_digest_of(std::string_view alg, ByteView content) {
  const EVP_MD* md = nullptr;
  if (alg == "sha-256") md = EVP_sha256();
  if (alg == "sha-512") md = EVP_sha512();
  if (md == nullptr) return std::nullopt;
  Bytes out(static_cast<size_t>(EVP_MD_get_size(md)));
  unsigned int len = 0;
  if (EVP_Digest(content.data(), content.size(), out.data(), &len, md, nullptr) != 1) {
    throw std::runtime_error("OpenSSL could not compute " + std::string(alg));
  }
  out.resize(len);
  return out;
}

std::string content_digest_field(const std::vector<std::string>& algs, ByteView content) {
  sf::Dictionary dict;
  for (const auto& alg : algs) {
    auto digest = content_digest_of(alg, content);
    if (!digest) {
      throw std::invalid_argument("unknown Content-Digest algorithm '" + alg +
                                  "' (sha-256 or sha-512)");
    }
    dict.emplace_back(alg, sf::Item{std::move(*digest), {}});
  }
  return sf::serialize(dict);
}

std::optional<std::string> content_digest_mismatch(std::string_view field_value, ByteView content) {
  sf::Dictionary dict;
  try {
    dict = sf::parse_dictionary(field_value);
  } catch (const sf::ParseError& e) {
    return std::string("Content-Digest is not a structured Dictionary: ") + e.what();
  }
  bool checked = false;
  for (const auto& [alg, member] : dict) {
    const auto expected = content_digest_of(alg, content);
    if (!expected) continue;
    const auto* item = std::get_if<sf::Item>(&member);
    const auto* bytes = item == nullptr ? nullptr : std::get_if<Bytes>(&item->value);
    if (bytes == nullptr) return "Content-Digest " + alg + " is not a Byte Sequence";
    if (*bytes != *expected) return "Content-Digest " + alg + " does not match the body";
    checked = true;
  }
  if (!checked) return std::string("Content-Digest has no sha-256 or sha-512 member");
  return std::nullopt;
}

}  // namespace p11signd::schemes
