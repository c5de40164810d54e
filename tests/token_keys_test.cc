// Keys on the token: generated and imported keys stay inside, extractable keys are refused, the
// registry refreshes.
#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <algorithm>
#include <cstring>
#include <memory>

#include "pkcs11/attributes.h"
#include "pkcs11/public_key.h"
#include "pkcs11/rv.h"
#include "tests/testing/faults.h"
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

// The mechanisms CKA_ALLOWED_MECHANISMS lists, sorted (SoftHSM keeps them as a set).
std::vector<CK_MECHANISM_TYPE> allowed_mechanisms(pkcs11::Token& token, CK_OBJECT_HANDLE object) {
  const auto bytes = token.with_admin_session([&](const pkcs11::Module& m, CK_SESSION_HANDLE s) {
    return pkcs11::read_attribute(m, s, object, CKA_ALLOWED_MECHANISMS);
  });
  std::vector<CK_MECHANISM_TYPE> out;
  if (!bytes || bytes->empty()) return out;  // memcpy from an empty vector's null data is UB
  out.resize(bytes->size() / sizeof(CK_MECHANISM_TYPE));
  std::memcpy(out.data(), bytes->data(), out.size() * sizeof(CK_MECHANISM_TYPE));
  std::sort(out.begin(), out.end());
  return out;
}

CK_OBJECT_HANDLE public_key_of(pkcs11::Token& token, const pkcs11::ResolvedKey& k) {
  return token.with_admin_session([&](const pkcs11::Module& m, CK_SESSION_HANDLE s) {
    pkcs11::Template query;
    query.add_ulong(CKA_CLASS, CKO_PUBLIC_KEY).add_bytes(CKA_ID, k.id);
    const auto found = pkcs11::find_objects(m, s, query);
    return found.size() == 1 ? found.front() : CK_INVALID_HANDLE;
  });
}

CK_RV sign_init_rv(pkcs11::Token& token, CK_OBJECT_HANDLE key, CK_MECHANISM_TYPE type) {
  return token.with_admin_session([&](const pkcs11::Module& m, CK_SESSION_HANDLE s) {
    CK_MECHANISM mech{type, nullptr, 0};
    const CK_RV rv = m.call_rv(&CK_FUNCTION_LIST::C_SignInit, s, &mech, key);
    if (rv == CKR_OK) {  // end the operation again
      CK_BYTE data[32] = {};
      std::vector<CK_BYTE> sig(1024);
      CK_ULONG len = sig.size();
      m.call_rv(&CK_FUNCTION_LIST::C_Sign, s, data, CK_ULONG(sizeof data), sig.data(), &len);
    }
    return rv;
  });
}

// What item "no accidental oracle" asks of every key the daemon makes: only the five RSA signing
// mechanisms, no sign-recover, and no attribute changed later - by anyone holding a session.
void expect_hardened(pkcs11::Token& token, const pkcs11::ResolvedKey& k) {
  EXPECT_EQ(allowed_mechanisms(token, k.private_key),
            (std::vector<CK_MECHANISM_TYPE>{CKM_RSA_PKCS, CKM_RSA_PKCS_PSS, CKM_SHA256_RSA_PKCS,
                                            CKM_SHA256_RSA_PKCS_PSS, CKM_SHA512_RSA_PKCS_PSS}));
  EXPECT_EQ(read_flag(token, k.private_key, CKA_SIGN_RECOVER), false);
  EXPECT_EQ(read_flag(token, k.private_key, CKA_MODIFIABLE), false);
  const CK_OBJECT_HANDLE pub = public_key_of(token, k);
  ASSERT_NE(pub, CK_INVALID_HANDLE);
  EXPECT_EQ(read_flag(token, pub, CKA_MODIFIABLE), false);
  // Raw RSA (any bytes, no padding) is not among them: the token refuses to start it.
  EXPECT_NE(sign_init_rv(token, k.private_key, CKM_RSA_X_509), CKR_OK);
  EXPECT_EQ(sign_init_rv(token, k.private_key, CKM_SHA256_RSA_PKCS), CKR_OK);
  // Not modifiable: a label change is refused.
  const CK_RV relabel = token.with_admin_session([&](const pkcs11::Module& m, CK_SESSION_HANDLE s) {
    pkcs11::Template t;
    t.add_string(CKA_LABEL, "renamed");
    return m.call_rv(&CK_FUNCTION_LIST::C_SetAttributeValue, s, k.private_key, t.data(), t.size());
  });
  EXPECT_NE(relabel, CKR_OK) << pkcs11::rv_name(relabel);
}

TEST_F(TokenTest, GeneratedAndImportedKeysAllowOnlyTheSigningMechanisms) {
  generate("made");
  expect_hardened(*token_, key("made"));
  import("swifood", testdata("swifood/private_key.pem"));
  expect_hardened(*token_, key("swifood"));
}

// A token that does not know an attribute of the hardened template still gets its key, and the log
// says what was left out.
TEST_F(TokenTest, KeyCreationFallsBackWhenTheTokenRefusesTheHardening) {
  auto lines = std::make_shared<std::vector<std::string>>();
  auto c = config();
  c.module.log = [lines](std::string_view line) { lines->emplace_back(line); };
  token_ = pkcs11::Token::open(std::move(c));
  faults::refused_attribute = CKA_ALLOWED_MECHANISMS;
  generate("made");
  import("swifood", testdata("swifood/private_key.pem"));
  faults::refused_attribute = 0;
  EXPECT_TRUE(allowed_mechanisms(*token_, key("made").private_key).empty());
  EXPECT_EQ(read_flag(*token_, key("made").private_key, CKA_EXTRACTABLE), false);
  EXPECT_EQ(read_flag(*token_, key("swifood").private_key, CKA_SENSITIVE), true);
  int said = 0;
  for (const auto& line : *lines) {
    if (line.find("CKR_ATTRIBUTE_TYPE_INVALID") != std::string::npos &&
        line.find("trying without them") != std::string::npos) {
      ++said;
    }
  }
  // One for the generated pair, one for the imported private key (its public key object carries
  // no CKA_ALLOWED_MECHANISMS).
  EXPECT_EQ(said, 2);
}

// An import whose public key object the token refuses leaves nothing behind: the private key
// object, made CKA_MODIFIABLE = false, is still destroyed (modifiable is not destroyable).
TEST_F(TokenTest, AFailedImportLeavesNoHardenedPrivateKeyBehind) {
  open();
  faults::refused_attribute = CKA_VERIFY;  // only the public key template holds it
  EXPECT_THROW(pkcs11::import_key(*token_, "half", {"half", {}},
                                  pkcs11::Secret(read_file(testdata("swifood/private_key.pem")))),
               Error);
  faults::refused_attribute = 0;
  const auto left = token_->with_admin_session([&](const pkcs11::Module& m, CK_SESSION_HANDLE s) {
    pkcs11::Template query;
    query.add_string(CKA_LABEL, "half");
    return pkcs11::find_objects(m, s, query).size();
  });
  EXPECT_EQ(left, 0u);
  import("half", testdata("swifood/private_key.pem"));  // and the same key imports afterwards
  expect_hardened(*token_, key("half"));
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
    m.call<&CK_FUNCTION_LIST::C_GenerateKey>(s, &gen, tmpl, CK_ULONG(std::size(tmpl)), &wrapping);
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

// Either flag alone is enough to refuse a key (docs/security.md: CKA_EXTRACTABLE true *or*
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
