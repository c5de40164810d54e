#pragma once
// Fault injection in front of a real PKCS#11 module, for recovery tests: a copy of the module's
// function list whose C_Sign, C_SignInit, C_Login, C_GetMechanismInfo, C_GetTokenInfo,
// C_GenerateKeyPair and C_CreateObject consult the switches below first. Installed with
// ModuleOptions::interpose = faults::interpose. The switches are process-wide because C function
// pointers carry no context; this is test code, and each test process has its own.

#include <atomic>

#include "pkcs11/cryptoki.h"

namespace p11signd::testing::faults {

// C_Sign returns sign_rv (instead of signing) for the next sign_times calls.
inline std::atomic<CK_RV> sign_rv{CKR_OK};
inline std::atomic<int> sign_times{0};
// C_Login calls seen, whatever their result.
inline std::atomic<int> login_calls{0};
// C_Login returns login_rv (without logging in) for the next login_times calls.
inline std::atomic<CK_RV> login_rv{CKR_OK};
inline std::atomic<int> login_times{0};
// C_GetMechanismInfo and C_SignInit say CKR_MECHANISM_INVALID for the combined hash-and-sign
// mechanisms (CKM_SHA256_RSA_PKCS, CKM_SHA256_RSA_PKCS_PSS, CKM_SHA512_RSA_PKCS_PSS): a token
// without them, which a signer cannot use by mistake.
inline std::atomic<bool> hide_combined_mechanisms{false};
// The mechanism of the last C_SignInit call (whatever its result); kNoMechanism before any.
inline constexpr CK_MECHANISM_TYPE kNoMechanism = CK_UNAVAILABLE_INFORMATION;
inline std::atomic<CK_MECHANISM_TYPE> last_sign_mechanism{kNoMechanism};
// C_GetTokenInfo reports this ulMaxSessionCount when non-zero.
inline std::atomic<CK_ULONG> max_session_count{0};

// C_GenerateKeyPair and C_CreateObject return CKR_ATTRIBUTE_TYPE_INVALID for a template holding
// this attribute type, as a token that does not know it would; 0: off.
inline std::atomic<CK_ATTRIBUTE_TYPE> refused_attribute{0};

CK_FUNCTION_LIST_PTR interpose(CK_FUNCTION_LIST_PTR real);
void reset();

}  // namespace p11signd::testing::faults
