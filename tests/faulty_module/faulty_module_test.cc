// libp11faulty.so loaded as a real module (dlopen, C_GetFunctionList) in front of a throwaway
// SoftHSM token: it forwards, and each kind of rule of its control file does what rules.h says.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "pkcs11/key_generation.h"
#include "pkcs11/module.h"
#include "pkcs11/token.h"
#include "tests/faulty_module/rules.h"
#include "tests/testing/fault_control.h"
#include "tests/testing/softhsm.h"

namespace p11signd::testing {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// Calls fn until it returns CKR_OK (true) or `within` has passed (false).
template <typename Fn>
bool until_ok(Fn fn, std::chrono::milliseconds within) {
  const auto deadline = Clock::now() + within;
  while (fn() != CKR_OK) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return true;
}

TEST(FaultRules, ParsesEveryKindOfRule) {
  const auto r = p11faulty::parse_rules(
      "# comment\nfail C_Sign CKR_DEVICE_ERROR count=3\n\ndelay * 20ms for=500\n"
      "max-sessions 4\nrestart\nremove 3000 # pulled out\nfail C_Login 0x80000001\n");
  ASSERT_EQ(r.rules.size(), 3u);
  EXPECT_EQ(r.rules[0].function, "C_Sign");
  EXPECT_EQ(r.rules[0].rv, static_cast<CK_RV>(CKR_DEVICE_ERROR));
  EXPECT_EQ(r.rules[0].count, 3);
  EXPECT_FALSE(r.rules[0].window);
  EXPECT_EQ(r.rules[1].kind, p11faulty::Rule::Kind::kDelay);
  EXPECT_EQ(r.rules[1].delay, milliseconds(20));
  EXPECT_EQ(r.rules[1].window, milliseconds(500));
  EXPECT_EQ(r.rules[2].rv, 0x80000001ul);
  EXPECT_EQ(r.max_sessions, 4ul);
  EXPECT_TRUE(r.restart);
  EXPECT_EQ(r.remove, milliseconds(3000));
}

TEST(FaultRules, ErrorsNameTheLineAndTheProblem) {
  for (const auto& [text, expected] : std::vector<std::pair<std::string, std::string>>{
           {"fail C_Sign CKR_NOPE", "line 1: unknown return code 'CKR_NOPE'"},
           {"\nfail Sign CKR_OK", "line 2: 'Sign' is not a C_ function"},
           {"delay C_Sign soon", "line 1: duration 'soon'"},
           {"fail C_Sign CKR_OK often", "line 1: unknown option 'often'"},
           {"explode", "line 1: unknown rule 'explode'"},
           {"restart now", "line 1: unexpected 'now'"},
           {"max-sessions", "line 1: missing session count"},
       }) {
    try {
      p11faulty::parse_rules(text);
      ADD_FAILURE() << "accepted: " << text;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
  }
}

class FaultyModule : public ::testing::Test {
 protected:
  void SetUp() override {
    module_ = pkcs11::Module::load(FaultControl::module_path());
    // SoftHSM lists a spare empty slot beside the initialised token.
    CK_SLOT_ID slots[8];
    CK_ULONG n = 8;
    ASSERT_EQ(call(&CK_FUNCTION_LIST::C_GetSlotList, CK_TRUE, slots, &n), CKR_OK);
    for (CK_ULONG i = 0; i < n; ++i) {
      CK_TOKEN_INFO info{};
      call(&CK_FUNCTION_LIST::C_GetTokenInfo, slots[i], &info);
      if (info.flags & CKF_TOKEN_INITIALIZED) slot_ = slots[i];
    }
    ASSERT_NE(slot_, CK_SLOT_ID(-1)) << "no initialised token";
  }
  template <typename Fn, typename... Args>
  CK_RV call(Fn CK_FUNCTION_LIST::*fn, Args... args) {
    return module_->call_rv(fn, args...);
  }
  CK_RV token_info() {
    CK_TOKEN_INFO info{};
    return call(&CK_FUNCTION_LIST::C_GetTokenInfo, slot_, &info);
  }
  CK_RV open(CK_SESSION_HANDLE& s) {
    return call(&CK_FUNCTION_LIST::C_OpenSession, slot_, CKF_SERIAL_SESSION, nullptr, nullptr, &s);
  }
  CK_RV login(CK_SESSION_HANDLE s) {
    std::string pin = kUserPin;
    return call(&CK_FUNCTION_LIST::C_Login, s, CKU_USER,
                reinterpret_cast<CK_UTF8CHAR_PTR>(pin.data()), CK_ULONG(pin.size()));
  }
  CK_RV session_info(CK_SESSION_HANDLE s) {
    CK_SESSION_INFO info{};
    return call(&CK_FUNCTION_LIST::C_GetSessionInfo, s, &info);
  }

  SoftHsm hsm_{"faulty"};
  FaultControl faults_{hsm_.dir()};
  std::unique_ptr<pkcs11::Module> module_;
  CK_SLOT_ID slot_ = CK_SLOT_ID(-1);
};

TEST_F(FaultyModule, FailsTheNamedFunctionForCountCalls) {
  faults_.set("fail C_GetTokenInfo CKR_DEVICE_ERROR count=2");
  EXPECT_EQ(token_info(), static_cast<CK_RV>(CKR_DEVICE_ERROR));
  EXPECT_EQ(token_info(), static_cast<CK_RV>(CKR_DEVICE_ERROR));
  EXPECT_EQ(token_info(), static_cast<CK_RV>(CKR_OK));
  EXPECT_EQ(faults_.count_log("fault C_GetTokenInfo 0x30"), 2);
}

TEST_F(FaultyModule, FailsForATimeWindowAndStopsWhenTheFileIsEmptied) {
  const auto set_at = Clock::now();
  faults_.set("fail * CKR_GENERAL_ERROR for=3000");
  // The window opens when the module reads the file, at this first call.
  EXPECT_EQ(token_info(), static_cast<CK_RV>(CKR_GENERAL_ERROR));
  EXPECT_TRUE(until_ok([&] { return token_info(); }, std::chrono::seconds(10)))
      << "the window never closed";
  EXPECT_GE(Clock::now() - set_at, milliseconds(3000)) << "the window closed early";
  faults_.set("fail C_GetTokenInfo CKR_DEVICE_ERROR");
  EXPECT_EQ(token_info(), static_cast<CK_RV>(CKR_DEVICE_ERROR));
  faults_.clear();
  EXPECT_EQ(token_info(), static_cast<CK_RV>(CKR_OK));
}

TEST_F(FaultyModule, DelaysCalls) {
  faults_.set("delay C_GetTokenInfo 200 count=1");
  const auto start = Clock::now();
  EXPECT_EQ(token_info(), static_cast<CK_RV>(CKR_OK));
  EXPECT_GE(Clock::now() - start, milliseconds(200));
  EXPECT_EQ(token_info(), static_cast<CK_RV>(CKR_OK));
  EXPECT_EQ(faults_.count_log("delay C_GetTokenInfo 200ms"), 1) << "count=1 delays one call only";
}

TEST_F(FaultyModule, LimitsTheNumberOfOpenSessions) {
  faults_.set("max-sessions 2");
  CK_SESSION_HANDLE a = 0, b = 0, c = 0;
  ASSERT_EQ(open(a), static_cast<CK_RV>(CKR_OK));
  ASSERT_EQ(open(b), static_cast<CK_RV>(CKR_OK));
  EXPECT_EQ(open(c), static_cast<CK_RV>(CKR_SESSION_COUNT));
  EXPECT_EQ(call(&CK_FUNCTION_LIST::C_CloseSession, a), static_cast<CK_RV>(CKR_OK));
  EXPECT_EQ(open(c), static_cast<CK_RV>(CKR_OK));
}

TEST_F(FaultyModule, RestartKillsEverySessionAndTheLogin) {
  CK_SESSION_HANDLE before = 0, after = 0;
  ASSERT_EQ(open(before), static_cast<CK_RV>(CKR_OK));
  ASSERT_EQ(login(before), static_cast<CK_RV>(CKR_OK));
  faults_.set("restart");
  EXPECT_EQ(session_info(before), static_cast<CK_RV>(CKR_SESSION_HANDLE_INVALID));
  ASSERT_EQ(open(after), static_cast<CK_RV>(CKR_OK));
  CK_MECHANISM mech{CKM_SHA256_RSA_PKCS, nullptr, 0};
  EXPECT_EQ(call(&CK_FUNCTION_LIST::C_SignInit, after, &mech, CK_OBJECT_HANDLE(1)),
            static_cast<CK_RV>(CKR_USER_NOT_LOGGED_IN));
  EXPECT_EQ(login(after), static_cast<CK_RV>(CKR_OK));
  EXPECT_EQ(session_info(after), static_cast<CK_RV>(CKR_OK));
  EXPECT_EQ(faults_.count_log("restart"), 1);
  EXPECT_EQ(faults_.count_log("C_Login 0x0"), 2);
}

TEST_F(FaultyModule, RemovedTokenIsGoneForItsWindowThenBack) {
  CK_SESSION_HANDLE s = 0;
  ASSERT_EQ(open(s), static_cast<CK_RV>(CKR_OK));
  const auto set_at = Clock::now();
  faults_.set("remove 3000");
  // The removal starts when the module reads the file, at this first call.
  CK_SLOT_ID slots[4];
  CK_ULONG n = 4;
  EXPECT_EQ(call(&CK_FUNCTION_LIST::C_GetSlotList, CK_TRUE, slots, &n), static_cast<CK_RV>(CKR_OK));
  EXPECT_EQ(n, 0u);
  EXPECT_EQ(token_info(), static_cast<CK_RV>(CKR_TOKEN_NOT_PRESENT));
  EXPECT_EQ(session_info(s), static_cast<CK_RV>(CKR_DEVICE_REMOVED));
  EXPECT_TRUE(until_ok([&] { return token_info(); }, std::chrono::seconds(10)))
      << "the token never came back";
  EXPECT_GE(Clock::now() - set_at, milliseconds(3000)) << "the token came back early";
  EXPECT_EQ(session_info(s), static_cast<CK_RV>(CKR_SESSION_HANDLE_INVALID));
}

TEST_F(FaultyModule, AFailedSignEndsTheOperationAsARealTokenWould) {
  module_.reset();  // the Token loads its own instance of the module
  auto config = hsm_.config();
  config.module_path = FaultControl::module_path();
  auto token = pkcs11::Token::open(config);
  pkcs11::generate_key(*token, "k", {"k", {}}, 2048);
  token->replace_keys({by_label("k", "k")});
  const CK_OBJECT_HANDLE key = token->keys().snapshot()->keys.at("k").private_key;
  const auto& m = token->module();
  CK_SESSION_HANDLE s = 0;
  ASSERT_EQ(m.call_rv(&CK_FUNCTION_LIST::C_OpenSession, token->slot(), CKF_SERIAL_SESSION, nullptr,
                      nullptr, &s),
            static_cast<CK_RV>(CKR_OK));
  CK_MECHANISM mech{CKM_SHA256_RSA_PKCS, nullptr, 0};
  CK_BYTE data[3] = {1, 2, 3};
  CK_BYTE sig[512];
  CK_ULONG len = sizeof sig;
  faults_.set("fail C_Sign CKR_DEVICE_MEMORY count=1");
  ASSERT_EQ(m.call_rv(&CK_FUNCTION_LIST::C_SignInit, s, &mech, key), static_cast<CK_RV>(CKR_OK));
  EXPECT_EQ(m.call_rv(&CK_FUNCTION_LIST::C_Sign, s, data, CK_ULONG(3), sig, &len),
            static_cast<CK_RV>(CKR_DEVICE_MEMORY));
  ASSERT_EQ(m.call_rv(&CK_FUNCTION_LIST::C_SignInit, s, &mech, key), static_cast<CK_RV>(CKR_OK));
  len = sizeof sig;
  EXPECT_EQ(m.call_rv(&CK_FUNCTION_LIST::C_Sign, s, data, CK_ULONG(3), sig, &len),
            static_cast<CK_RV>(CKR_OK));
  EXPECT_EQ(len, 256u);
}

TEST_F(FaultyModule, ABadControlFileInjectsNothingAndSaysWhy) {
  faults_.set("fail C_GetTokenInfo CKR_WHATEVER");
  EXPECT_EQ(token_info(), static_cast<CK_RV>(CKR_OK));
  EXPECT_EQ(faults_.count_log("control error: line 1: unknown return code 'CKR_WHATEVER'"), 1);
}

}  // namespace
}  // namespace p11signd::testing
