#include "tests/testing/token_fixture.h"

#include <fstream>
#include <iterator>
#include <stdexcept>

#include "pkcs11/attributes.h"
#include "pkcs11/public_key.h"

namespace p11signd::testing {

void TokenTest::SetUp() {
  faults::reset();
  hsm_ = std::make_unique<SoftHsm>();
}

void TokenTest::TearDown() {
  token_.reset();
  hsm_.reset();
  faults::reset();
}

pkcs11::TokenConfig TokenTest::config(std::vector<pkcs11::KeySpec> keys) const {
  auto c = hsm_->config(std::move(keys));
  c.module.interpose = faults::interpose;
  return c;
}

void TokenTest::open(std::vector<pkcs11::KeySpec> keys) {
  token_ = pkcs11::Token::open(config(std::move(keys)));
}

void TokenTest::add_key(const pkcs11::KeySpec& spec) {
  auto specs = token_->keys().specs();
  specs.push_back(spec);
  token_->replace_keys(std::move(specs));
}

void TokenTest::expect_refused_unless_allowed(const std::string& label, bool sensitive,
                                              bool extractable, const std::string& flag) {
  generate_key_with_protection(*token_, label, sensitive, extractable);
  try {
    add_key(by_label(label, label));
    ADD_FAILURE() << "a key with " << flag << " must be refused";
  } catch (const pkcs11::Error& e) {
    EXPECT_EQ(e.category(), pkcs11::ErrorCategory::kRefused) << e.what();
    EXPECT_NE(std::string(e.what()).find(flag), std::string::npos) << e.what();
  }
  EXPECT_FALSE(token_->keys().snapshot()->keys.count(label));
  auto spec = by_label(label, label);
  spec.allow_extractable = true;
  add_key(spec);
  EXPECT_EQ(key(label).extractable, extractable);
  EXPECT_EQ(key(label).sensitive, sensitive);
}

void TokenTest::generate(const std::string& name, const KeyShape& shape) {
  if (!token_) open();
  add_key(pkcs11::generate_key(*token_, name, {name, {}}, shape));
}

void TokenTest::import(const std::string& name, const std::string& pem_path) {
  if (!token_) open();
  add_key(pkcs11::import_key(*token_, name, {name, {}}, pkcs11::Secret(read_file(pem_path))));
}

// A copy: a reference into the snapshot would dangle once replace_keys publishes a new one.
pkcs11::ResolvedKey TokenTest::key(const std::string& name) const {
  return token_->keys().snapshot()->keys.at(name);
}

bool TokenTest::verifies(const std::string& name, const SignRequest& req, ByteView data,
                         ByteView sig) const {
  try {
    return verify_signature(key(name).spki_der, req, data, sig);
  } catch (const std::runtime_error&) {
    return false;
  }
}

void generate_key_with_protection(pkcs11::Token& token, const std::string& label, bool sensitive,
                                  bool extractable) {
  token.with_admin_session([&](const pkcs11::Module& m, CK_SESSION_HANDLE s) {
    pkcs11::Template pub, priv;
    const CK_BYTE e[] = {1, 0, 1};
    pub.add_bool(CKA_TOKEN, true)
        .add_ulong(CKA_MODULUS_BITS, 2048)
        .add_bytes(CKA_PUBLIC_EXPONENT, e)
        .add_string(CKA_LABEL, label);
    priv.add_bool(CKA_TOKEN, true)
        .add_bool(CKA_PRIVATE, true)
        .add_bool(CKA_SENSITIVE, sensitive)
        .add_bool(CKA_EXTRACTABLE, extractable)
        .add_bool(CKA_SIGN, true)
        .add_string(CKA_LABEL, label);
    CK_MECHANISM mech{CKM_RSA_PKCS_KEY_PAIR_GEN, nullptr, 0};
    CK_OBJECT_HANDLE public_key, private_key;
    m.call<&CK_FUNCTION_LIST::C_GenerateKeyPair>(s, &mech, pub.data(), pub.size(), priv.data(),
                                                 priv.size(), &public_key, &private_key);
    return 0;
  });
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string testdata(const std::string& relative) {
  return std::string(P11SIGND_TESTDATA) + "/" + relative;
}

}  // namespace p11signd::testing
