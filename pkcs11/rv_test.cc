#include "pkcs11/rv.h"

#include <gtest/gtest.h>

namespace p11signd::pkcs11 {
namespace {

TEST(RvName, NamesStandardCodesAndVendorCodes) {
  EXPECT_EQ(rv_name(CKR_PIN_INCORRECT), "CKR_PIN_INCORRECT");
  EXPECT_EQ(rv_name(CKR_SESSION_HANDLE_INVALID), "CKR_SESSION_HANDLE_INVALID");
  EXPECT_EQ(rv_name(CKR_VENDOR_DEFINED | 5), "CKR_0x80000005");
}

TEST(Categorize, DrivesRecovery) {
  EXPECT_EQ(categorize(CKR_SESSION_HANDLE_INVALID), ErrorCategory::kSessionLost);
  EXPECT_EQ(categorize(CKR_SESSION_CLOSED), ErrorCategory::kSessionLost);
  EXPECT_EQ(categorize(CKR_USER_NOT_LOGGED_IN), ErrorCategory::kLoginLost);
  EXPECT_EQ(categorize(CKR_KEY_HANDLE_INVALID), ErrorCategory::kHandlesStale);
  EXPECT_EQ(categorize(CKR_OBJECT_HANDLE_INVALID), ErrorCategory::kHandlesStale);
  EXPECT_EQ(categorize(CKR_DEVICE_REMOVED), ErrorCategory::kTokenLost);
  EXPECT_EQ(categorize(CKR_TOKEN_NOT_PRESENT), ErrorCategory::kTokenLost);
  EXPECT_EQ(categorize(CKR_DEVICE_ERROR), ErrorCategory::kTokenLost);
  EXPECT_EQ(categorize(CKR_GENERAL_ERROR), ErrorCategory::kTokenLost);
  EXPECT_EQ(categorize(CKR_PIN_INCORRECT), ErrorCategory::kRefused);
  EXPECT_EQ(categorize(CKR_PIN_LOCKED), ErrorCategory::kRefused);
  EXPECT_EQ(categorize(CKR_DATA_LEN_RANGE), ErrorCategory::kBadInput);
  EXPECT_EQ(categorize(CKR_FUNCTION_FAILED), ErrorCategory::kPermanent);
}

TEST(Error, MessageNamesFunctionAndCode) {
  Error e("login to token 'x'", "C_Login", CKR_PIN_INCORRECT);
  EXPECT_STREQ(e.what(), "login to token 'x': C_Login failed: CKR_PIN_INCORRECT");
  EXPECT_EQ(e.rv(), CKR_PIN_INCORRECT);
  EXPECT_EQ(e.category(), ErrorCategory::kRefused);
}

}  // namespace
}  // namespace p11signd::pkcs11
