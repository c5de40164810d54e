// Keys on the token: generated and imported keys stay inside, extractable keys are refused, the
// registry refreshes.
#include <gtest/gtest.h>
#include <openssl/pem.h>

#include "pkcs11/attributes.h"
#include "pkcs11/public_key.h"
#include "pkcs11/rv.h"
#include "tests/testing/token_fixture.h"

namespace p11signd::testing {
namespace {

using pkcs11::Error;
using pkcs11::ErrorCategory;

CK_RV read_rv(pkcs11::Token& token, CK_OBJECT_HANDLE object, CK_ATTRIBUTE_TYPE type) {
  return token.with_admin_session([&](const pkcs11::Module& m, CK_SESSION_HANDLE s) {
    return pkcs11::read_attribute_rv(m, s, object, type);
  });
}

std::optional<bool> read_flag(pkcs11::Token& token, CK_OBJECT_HANDLE object,
                              CK_ATTRIBUTE_TYPE type) {
  return token.with_admin_session([&](const pkcs11::Module& m, CK_SESSION_HANDLE s) {
    return pkcs11::read_bool(m, s, object, type);
  });
}

TEST_F(TokenTest, GeneratedKeyNeverLeavesTheToken) {
  generate("k");
  const auto& k = key("k");
  EXPECT_EQ(read_rv(*token_, k.private_key, CKA_PRIVATE_EXPONENT), CKR_ATTRIBUTE_SENSITIVE);
  EXPECT_EQ(read_rv(*token_, k.private_key, CKA_PRIME_1), CKR_ATTRIBUTE_SENSITIVE);
  EXPECT_EQ(read_flag(*token_, k.private_key, CKA_NEVER_EXTRACTABLE), true);
  EXPECT_EQ(read_flag(*token_, k.private_key, CKA_EXTRACTABLE), false);
  EXPECT_EQ(read_flag(*token_, k.private_key, CKA_DECRYPT), false);
  EXPECT_TRUE(k.local);
  EXPECT_EQ(k.label, "k");
  EXPECT_EQ(k.id.size(), 16u);
}

// The one way a PKCS#11 token hands out a private key, C_WrapKey under a key of the caller's
// choosing, is refused for the daemon's keys: they are generated CKA_EXTRACTABLE = false.
TEST_F(TokenTest, PrivateKeyCannotBeWrappedOut) {
  generate("k");
  const auto& k = key("k");
  const CK_RV rv = token_->with_admin_session([&](const pkcs11::Module& m, CK_SESSION_HANDLE s) {
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    CK_KEY_TYPE type = CKK_AES;
    CK_ULONG len = 32;
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls, sizeof cls},
                           {CKA_KEY_TYPE, &type, sizeof type},
                           {CKA_VALUE_LEN, &len, sizeof len},
                           {CKA_WRAP, &yes, sizeof yes},
                           {CKA_TOKEN, &no, sizeof no}};
    CK_MECHANISM gen{CKM_AES_KEY_GEN, nullptr, 0};
    CK_OBJECT_HANDLE wrapping = CK_INVALID_HANDLE;
    m.call("C_GenerateKey", &CK_FUNCTION_LIST::C_GenerateKey, s, &gen, tmpl,
           CK_ULONG(std::size(tmpl)), &wrapping);
    CK_MECHANISM wrap{CKM_AES_KEY_WRAP_PAD, nullptr, 0};
    std::vector<CK_BYTE> out(8192);
    CK_ULONG out_len = out.size();
    const CK_RV wrapped = m.call_rv(&CK_FUNCTION_LIST::C_WrapKey, s, &wrap, wrapping, k.private_key,
                                    out.data(), &out_len);
    m.call_rv(&CK_FUNCTION_LIST::C_DestroyObject, s, wrapping);
    return wrapped;
  });
  EXPECT_EQ(rv, CKR_KEY_UNEXTRACTABLE) << pkcs11::rv_name(rv);
}

TEST_F(TokenTest, ImportedKeyIsSensitiveAndReportedAsImported) {
  import("swifood", testdata("swifood/private_key.pem"));
  const auto& k = key("swifood");
  EXPECT_FALSE(k.local);
  EXPECT_EQ(read_rv(*token_, k.private_key, CKA_PRIVATE_EXPONENT), CKR_ATTRIBUTE_SENSITIVE);
  EXPECT_EQ(read_flag(*token_, k.private_key, CKA_EXTRACTABLE), false);
  // The public key on the token is the seed's public key.
  const std::string pem = read_file(testdata("swifood/public_key.pem"));
  EXPECT_EQ(spki_pem(k.spki_der), pem);
}

TEST_F(TokenTest, ImportAcceptsPkcs1PemAndRejectsGarbage) {
  open();
  EVP_PKEY* raw = EVP_RSA_gen(2048);
  BIO* bio = BIO_new(BIO_s_mem());
  ASSERT_EQ(PEM_write_bio_PrivateKey_traditional(bio, raw, nullptr, nullptr, 0, nullptr, nullptr),
            1);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(len));
  BIO_free(bio);
  EVP_PKEY_free(raw);
  ASSERT_NE(pem.find("BEGIN RSA PRIVATE KEY"), std::string::npos);
  const std::string again = pem;
  add_key(pkcs11::import_key(*token_, "legacy", {"legacy", {}}, pkcs11::Secret(std::move(pem))));
  EXPECT_EQ(key("legacy").bits, 2048u);

  // The same key under another label would be a second object for one key: refused, naming the
  // first.
  try {
    pkcs11::import_key(*token_, "legacy2", {"legacy2", {}}, pkcs11::Secret(std::string(again)));
    FAIL() << "the same key was imported twice";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kConflict);
    EXPECT_NE(std::string(e.what()).find("labelled 'legacy'"), std::string::npos) << e.what();
  }

  try {
    pkcs11::import_key(*token_, "bad", {"bad", {}}, pkcs11::Secret(std::string("not a key")));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kBadInput);
    EXPECT_NE(std::string(e.what()).find("PEM"), std::string::npos);
  }
}

TEST_F(TokenTest, KeyCreationRefusesBadSizeAndTakenLabel) {
  generate("k");
  try {
    pkcs11::generate_key(*token_, "x", {"x", {}}, 1024);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kBadInput);
    EXPECT_NE(std::string(e.what()).find("1024"), std::string::npos);
  }
  try {
    pkcs11::generate_key(*token_, "again", {"k", {}}, 2048);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kConflict);
    EXPECT_NE(std::string(e.what()).find("'k' already exists"), std::string::npos) << e.what();
  }
}

// A key some other tool left extractable: refused unless its configuration allows it.
TEST_F(TokenTest, ExtractableKeyRefusedUnlessAllowed) {
  open();
  generate_key_with_protection(*token_, "loose", /*sensitive=*/false, /*extractable=*/true);
  try {
    add_key(by_label("loose", "loose"));
    FAIL() << "an extractable key must be refused";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("extractable"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("allow-extractable"), std::string::npos) << e.what();
  }
  auto spec = by_label("loose", "loose");
  spec.allow_extractable = true;
  add_key(spec);
  EXPECT_TRUE(key("loose").extractable);
}

// Either flag alone is enough to refuse a key (interface.md: CKA_EXTRACTABLE true *or*
// CKA_SENSITIVE false): a sensitive key can still be wrapped out, and a non-extractable one read in
// the clear. The message names the flag that is wrong.
TEST_F(TokenTest, ExtractableButSensitiveKeyRefusedUnlessAllowed) {
  open();
  expect_refused_unless_allowed("wrappable", /*sensitive=*/true, /*extractable=*/true,
                                "CKA_EXTRACTABLE is true");
}

TEST_F(TokenTest, NotSensitiveButNotExtractableKeyRefusedUnlessAllowed) {
  open();
  expect_refused_unless_allowed("readable", /*sensitive=*/false, /*extractable=*/false,
                                "CKA_SENSITIVE is false");
}

TEST_F(TokenTest, SelectByHexId) {
  generate("k");
  pkcs11::KeySpec by_id;
  by_id.name = "same";
  by_id.id = key("k").id;
  add_key(by_id);
  EXPECT_EQ(key("same").spki_der, key("k").spki_der);
}

TEST_F(TokenTest, ReplaceKeysIsAllOrNothing) {
  generate("a");
  const auto before = token_->keys().generation();
  try {
    token_->replace_keys({by_label("a", "a"), by_label("gone", "no-such-label")});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'gone'"), std::string::npos);
    EXPECT_EQ(e.category(), ErrorCategory::kNotFound) << "a missing key stays 'not found'";
  }
  EXPECT_EQ(token_->keys().generation(), before) << "a failed refresh must keep the old set";
  EXPECT_EQ(token_->keys().snapshot()->keys.count("a"), 1u);
}

}  // namespace
}  // namespace p11signd::testing
