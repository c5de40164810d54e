#pragma once
// The fixture most token tests start from: a fresh SoftHSM token (per test process), a Token opened
// on it with the fault-injecting module wrapper in place (all switches off), and helpers to make
// keys and check signatures.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "pkcs11/key_generation.h"
#include "pkcs11/signer.h"
#include "pkcs11/token.h"
#include "tests/testing/faults.h"
#include "tests/testing/softhsm.h"

namespace p11signd::testing {

class TokenTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Opens token_ with keys (and the fault wrapper).
  void open(std::vector<pkcs11::KeySpec> keys = {});
  pkcs11::TokenConfig config(std::vector<pkcs11::KeySpec> keys = {}) const;
  // Generates a key (RSA 2048 unless shape says otherwise) on the token with label == name and adds
  // it to the registry under name.
  void generate(const std::string& name, const KeyShape& shape = KeyShape(2048));
  // Imports a PEM file under name/label.
  void import(const std::string& name, const std::string& pem_path);
  void add_key(const pkcs11::KeySpec& spec);
  // Generates a key with these flags, as another tool could leave it; checks that adding it is
  // refused (kRefused, the message naming `flag`) and publishes nothing, then that
  // allow-extractable accepts it with its flags reported as they are.
  void expect_refused_unless_allowed(const std::string& label, bool sensitive, bool extractable,
                                     const std::string& flag);

  pkcs11::ResolvedKey key(const std::string& name) const;
  bool verifies(const std::string& name, const SignRequest& req, ByteView data, ByteView sig) const;

  std::unique_ptr<SoftHsm> hsm_;
  std::unique_ptr<pkcs11::Token> token_;
};

// Generates an RSA-2048 key pair labelled label with the given CKA_SENSITIVE and CKA_EXTRACTABLE,
// as another tool could leave one on a token (the daemon itself only makes sensitive,
// non-extractable keys). Nothing is added to the token's registry.
void generate_key_with_protection(pkcs11::Token& token, const std::string& label, bool sensitive,
                                  bool extractable);

std::string read_file(const std::string& path);
std::string testdata(const std::string& relative);

}  // namespace p11signd::testing
