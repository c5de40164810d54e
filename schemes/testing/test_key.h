#pragma once
// Test-only: a key (RSA, EC or Ed25519) held in memory by OpenSSL, standing in for the token so
// that schemes can be tested without one. Never linked into the daemon (target p11schemes_testing).

#include <memory>
#include <string_view>

#include <openssl/evp.h>

#include "schemes/peer_key.h"
#include "schemes/scheme.h"

namespace p11signd::schemes::testing {

class TestKey {
 public:
  static TestKey from_pem(std::string_view private_key_pem);
  static TestKey generate(unsigned bits);  // RSA
  static TestKey generate(KeyType type);
  // One 2048-bit key per test binary: generating keys is slow under the sanitizers.
  static const TestKey& shared();
  static const TestKey& other();  // a second key, for "wrong key" tests

  Bytes sign(const SignRequest& req, ByteView data) const;
  KeyType type() const;
  // The key as a scheme sees it: its type and its signer.
  SigningKey signer() const;
  PeerKey peer() const;
  EVP_PKEY* get() const { return key_.get(); }

 private:
  explicit TestKey(std::shared_ptr<EVP_PKEY> key) : key_(std::move(key)) {}
  std::shared_ptr<EVP_PKEY> key_;
};

// Reads a file from schemes/testdata (known-answer data; each file's source is in its README).
std::string read_testdata(std::string_view relative_path);

}  // namespace p11signd::schemes::testing
