#pragma once
// The name of each CK_FUNCTION_LIST member the project calls, for its errors and log lines: a call
// site names the function once, as the member (module.call<&CK_FUNCTION_LIST::C_Sign>(...)), and
// the text comes from this table, so the name in a message cannot differ from the call it is about.

#include <string_view>

#include "pkcs11/cryptoki.h"

namespace p11signd::pkcs11 {

// Empty for a member that is not listed below; Module::call refuses to compile a call to one.
template <auto Member>
inline constexpr std::string_view kFunctionName{};

template <>
inline constexpr std::string_view kFunctionName<&CK_FUNCTION_LIST::C_Initialize> = "C_Initialize";
template <>
inline constexpr std::string_view kFunctionName<&CK_FUNCTION_LIST::C_Finalize> = "C_Finalize";
template <>
inline constexpr std::string_view kFunctionName<&CK_FUNCTION_LIST::C_GetSlotList> = "C_GetSlotList";
template <>
inline constexpr std::string_view kFunctionName<&CK_FUNCTION_LIST::C_GetTokenInfo> =
    "C_GetTokenInfo";
template <>
inline constexpr std::string_view kFunctionName<&CK_FUNCTION_LIST::C_GetMechanismInfo> =
    "C_GetMechanismInfo";
template <>
inline constexpr std::string_view kFunctionName<&CK_FUNCTION_LIST::C_InitToken> = "C_InitToken";
template <>
inline constexpr std::string_view kFunctionName<&CK_FUNCTION_LIST::C_InitPIN> = "C_InitPIN";
template <>
inline constexpr std::string_view kFunctionName<&CK_FUNCTION_LIST::C_OpenSession> = "C_OpenSession";
template <>
inline constexpr std::string_view kFunctionName<&CK_FUNCTION_LIST::C_CloseSession> =
    "C_CloseSession";
template <>
inline constexpr std::string_view kFunctionName<&CK_FUNCTION_LIST::C_CloseAllSessions> =
    "C_CloseAllSessions";
template <>
inline constexpr std::string_view kFunctionName<&CK_FUNCTION_LIST::C_GetSessionInfo> =
    "C_GetSessionInfo";
template <>
inline constexpr std::string_view kFunctionName<&CK_FUNCTION_LIST::C_Login> = "C_Login";
template <>
inline constexpr std::string_view kFunctionName<&CK_FUNCTION_LIST::C_Logout> = "C_Logout";
template <>
inline constexpr std::string_view kFunctionName<&CK_FUNCTION_LIST::C_CreateObject> =
    "C_CreateObject";
template <>
inline constexpr std::string_view kFunctionName<&CK_FUNCTION_LIST::C_CopyObject> = "C_CopyObject";
template <>
inline constexpr std::string_view kFunctionName<&CK_FUNCTION_LIST::C_DestroyObject> =
    "C_DestroyObject";
template <>
inline constexpr std::string_view kFunctionName<&CK_FUNCTION_LIST::C_GetAttributeValue> =
    "C_GetAttributeValue";
template <>
inline constexpr std::string_view kFunctionName<&CK_FUNCTION_LIST::C_SetAttributeValue> =
    "C_SetAttributeValue";
template <>
inline constexpr std::string_view kFunctionName<&CK_FUNCTION_LIST::C_FindObjectsInit> =
    "C_FindObjectsInit";
template <>
inline constexpr std::string_view kFunctionName<&CK_FUNCTION_LIST::C_FindObjects> = "C_FindObjects";
template <>
inline constexpr std::string_view kFunctionName<&CK_FUNCTION_LIST::C_FindObjectsFinal> =
    "C_FindObjectsFinal";
template <>
inline constexpr std::string_view kFunctionName<&CK_FUNCTION_LIST::C_SignInit> = "C_SignInit";
template <>
inline constexpr std::string_view kFunctionName<&CK_FUNCTION_LIST::C_Sign> = "C_Sign";
template <>
inline constexpr std::string_view kFunctionName<&CK_FUNCTION_LIST::C_GenerateKey> = "C_GenerateKey";
template <>
inline constexpr std::string_view kFunctionName<&CK_FUNCTION_LIST::C_GenerateKeyPair> =
    "C_GenerateKeyPair";
template <>
inline constexpr std::string_view kFunctionName<&CK_FUNCTION_LIST::C_WrapKey> = "C_WrapKey";
template <>
inline constexpr std::string_view kFunctionName<&CK_FUNCTION_LIST::C_GenerateRandom> =
    "C_GenerateRandom";

}  // namespace p11signd::pkcs11
