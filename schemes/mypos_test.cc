#include "schemes/mypos.h"

#include <gtest/gtest.h>

#include "common/encoding.h"
#include "schemes/peer_key.h"
#include "schemes/testing/test_key.h"

namespace p11signd::schemes {
namespace {

using testing::read_testdata;
using testing::TestKey;

std::string chomp(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

PeerKey mypos_certificate() {
  return PeerKey::from_text(read_testdata("mypos/mypos-test-certificate.pem"));
}

const KeySettings kSettings = {{"mypos.sid", "000000000000010"},
                               {"mypos.wallet-number", "61938166610"},
                               {"mypos.key-index", "1"}};

TEST(MyposSignedText, Base64OfDashJoinedValuesWithoutSignature) {
  const FormPairs f = {
      {"IPCmethod", "IPCPurchase"}, {"Amount", "20.00"}, {"Signature", "x"}, {"Note", ""}};
  EXPECT_EQ(mypos_signed_text(f), base64_encode(as_bytes("IPCPurchase-20.00-")));
  const FormPairs other_case = {{"IPCmethod", "IPCPurchase"}, {"signature", "x"}};
  EXPECT_EQ(mypos_signed_text(other_case), base64_encode(as_bytes("IPCPurchase-x")));
}

TEST(MyposSignedText, KeepsDashesPlusPercentAmpersandAndUtf8Verbatim) {
  const FormPairs f = {
      {"a", "x-y"}, {"b", "1+1%&=2"}, {"c", "Ünïcødé €"}, {"d", std::string(5000, 'z')}};
  const std::string joined = "x-y-1+1%&=2-Ünïcødé €-" + std::string(5000, 'z');
  EXPECT_EQ(mypos_signed_text(f), base64_encode(as_bytes(joined)));
}

TEST(MyposKat, FieldsTextIsTheDocumentedValueString) {
  for (const std::string n : {"1", "2"}) {
    const auto pairs = form_decode_pairs(chomp(read_testdata("mypos/notify-" + n + ".form")));
    ASSERT_TRUE(pairs);
    EXPECT_EQ(mypos_signed_text(*pairs),
              base64_encode(as_bytes(chomp(read_testdata("mypos/notify-" + n + ".fields.txt")))));
  }
}

TEST(MyposKat, BothNotificationsVerifyWithTheTestCertificate) {
  const MyposScheme scheme;
  for (const std::string n : {"1", "2"}) {
    const Json in{{"form", chomp(read_testdata("mypos/notify-" + n + ".form"))}};
    const Json out = scheme.verify(in, mypos_certificate());
    EXPECT_TRUE(out["valid"].get<bool>()) << n << ": " << out.dump();
  }
}

TEST(MyposKat, FormEncodingReproducesWhatMyposPosted) {
  for (const std::string n : {"1", "2"}) {
    const std::string form = chomp(read_testdata("mypos/notify-" + n + ".form"));
    EXPECT_EQ(form_encode_pairs(*form_decode_pairs(form)), form);
  }
}

TEST(MyposKat, ChangedByteOrFieldFailsVerification) {
  const MyposScheme scheme;
  const PeerKey cert = mypos_certificate();
  const std::string form = chomp(read_testdata("mypos/notify-2.form"));
  // One byte of a value, the double space collapsed, a field dropped, the signature touched.
  for (const auto& [from, to] :
       std::vector<std::pair<std::string, std::string>>{{"Amount=200.00", "Amount=200.01"},
                                                        {"myPOS++%2A", "myPOS+%2A"},
                                                        {"&PAN=0007", ""},
                                                        {"Signature=SfIVV0", "Signature=SfIVV1"}}) {
    std::string changed = form;
    changed.replace(changed.find(from), from.size(), to);
    EXPECT_FALSE(scheme.verify(Json{{"form", changed}}, cert)["valid"].get<bool>()) << from;
  }
}

// The seed's reference verifier unsets $data['Signature'] only: a field named "signature" or
// "SIGNATURE" is part of the signed values, never a second signature to drop unchecked.
TEST(MyposVerify, OnlyTheFieldNamedExactlySignatureIsLeftOutAndFieldsAreAccepted) {
  const MyposScheme scheme;
  const std::string form = chomp(read_testdata("mypos/notify-2.form"));
  const Json appended =
      scheme.verify(Json{{"form", form + "&signature=zzzz&SIGNATURE=evil"}}, mypos_certificate());
  EXPECT_FALSE(appended["valid"].get<bool>()) << appended;
  std::string renamed = form;
  renamed.replace(renamed.find("&Signature="), 11, "&signature=");
  const Json lower = scheme.verify(Json{{"form", renamed}}, mypos_certificate());
  EXPECT_FALSE(lower["valid"].get<bool>());
  EXPECT_EQ(lower["reason"], "no Signature field");
  Json fields = Json::array();
  const auto pairs = form_decode_pairs(form);
  ASSERT_TRUE(pairs);
  for (const auto& [k, v] : *pairs) fields.push_back(Json::array({k, v}));
  EXPECT_TRUE(scheme.verify(Json{{"fields", fields}}, mypos_certificate())["valid"].get<bool>());
}

TEST(MyposVerify, TwoSignatureFieldsAreInvalid) {
  const MyposScheme scheme;
  const std::string form = chomp(read_testdata("mypos/notify-2.form"));
  const std::string signature = form.substr(form.find("&Signature="));
  const Json v = scheme.verify(Json{{"form", form + signature}}, mypos_certificate());
  EXPECT_FALSE(v["valid"].get<bool>());
  EXPECT_EQ(v["reason"], "more than one Signature field");
}

TEST(MyposVerify, MissingOrBrokenSignatureIsInvalidNotAnError) {
  const MyposScheme scheme;
  const Json no_sig =
      scheme.verify(Json{{"form", "IPCmethod=IPCPurchaseNotify&SID=1"}}, mypos_certificate());
  EXPECT_FALSE(no_sig["valid"].get<bool>());
  const Json bad = scheme.verify(Json{{"form", "a=1&Signature=%21%21"}}, mypos_certificate());
  EXPECT_FALSE(bad["valid"].get<bool>());
}

TEST(MyposVerify, InputWithoutFormOrFieldsIs400NamingForm) {
  const MyposScheme scheme;
  for (const char* in : {R"({})", R"({"form":5})", R"({"form":"a=%zz"})"}) {
    try {
      scheme.verify(Json::parse(in), mypos_certificate());
      FAIL() << in;
    } catch (const SchemeError& e) {
      EXPECT_EQ(e.kind(), SchemeErrorKind::kBadRequest);
      EXPECT_EQ(e.field(), "form");
    }
  }
}

TEST(MyposFill, InsertsSettingsAfterIpcLanguageLikeTheSdk) {
  const FormPairs f = mypos_fill_from_settings({{"IPCmethod", "IPCPurchase"},
                                                {"IPCVersion", "1.4"},
                                                {"IPCLanguage", "EN"},
                                                {"Currency", "EUR"}},
                                               kSettings);
  const FormPairs want = {
      {"IPCmethod", "IPCPurchase"}, {"IPCVersion", "1.4"},           {"IPCLanguage", "EN"},
      {"SID", "000000000000010"},   {"WalletNumber", "61938166610"}, {"KeyIndex", "1"},
      {"Currency", "EUR"}};
  EXPECT_EQ(f, want);
}

TEST(MyposFill, KeepsFieldsTheRequestSentAndFillsTheRest) {
  const FormPairs f = mypos_fill_from_settings(
      {{"IPCmethod", "IPCPurchase"}, {"Amount", "1"}, {"WalletNumber", "999"}}, kSettings);
  const FormPairs want = {{"IPCmethod", "IPCPurchase"},
                          {"SID", "000000000000010"},
                          {"Amount", "1"},
                          {"WalletNumber", "999"},
                          {"KeyIndex", "1"}};
  EXPECT_EQ(f, want);
  const FormPairs none = mypos_fill_from_settings({{"Amount", "1"}}, kSettings);
  EXPECT_EQ(none.front().first, "SID");
}

TEST(MyposFill, MissingEverywhereIs422NamingTheField) {
  try {
    mypos_fill_from_settings({{"IPCmethod", "x"}}, {{"mypos.sid", "1"}, {"mypos.key-index", "1"}});
    FAIL();
  } catch (const SchemeError& e) {
    EXPECT_EQ(e.kind(), SchemeErrorKind::kUnprocessable);
    EXPECT_EQ(e.field(), "fields.WalletNumber");
    EXPECT_NE(std::string(e.what()).find("mypos.wallet-number"), std::string::npos);
  }
}

TEST(MyposSettings, AbsentIsFineNonNumericKeyIndexIsNot) {
  const MyposScheme scheme;
  EXPECT_TRUE(scheme.check_settings({}).empty());
  EXPECT_TRUE(scheme.check_settings(kSettings).empty());
  EXPECT_EQ(scheme.check_settings({{"mypos.key-index", "one"}}).size(), 1u);
}

TEST(MyposSign, RoundTripAndFormOutput) {
  const MyposScheme scheme;
  const Json in = Json::parse(R"({"fields":[["IPCmethod","IPCPurchase"],["IPCVersion","1.4"],
      ["IPCLanguage","EN"],["Amount","20.00"],["Note",null],["Count",3],["Desc","a b&c=d+e%f ü"]]})");
  const Json out = scheme.sign(in, kSettings, TestKey::shared().signer());
  const Json& fields = out["fields"];
  EXPECT_EQ(fields.back()[0], "Signature");
  EXPECT_EQ(fields.back()[1], out["signature"]);
  EXPECT_EQ(fields[3][0], "SID");
  EXPECT_EQ(fields[7][1], "");
  EXPECT_EQ(fields[8][1], "3");
  EXPECT_NE(out["form"].get<std::string>().find("&Desc=a+b%26c%3Dd%2Be%25f+%C3%BC&Signature="),
            std::string::npos);
  const Json v = scheme.verify(Json{{"form", out["form"]}}, TestKey::shared().peer());
  EXPECT_TRUE(v["valid"].get<bool>()) << v.dump();
  EXPECT_FALSE(
      scheme.verify(Json{{"form", out["form"]}}, TestKey::other().peer())["valid"].get<bool>());
}

TEST(MyposSign, ObjectInputKeepsTheOrderWritten) {
  const MyposScheme scheme;
  const Json in = Json::parse(R"({"fields":{"IPCmethod":"IPCPurchase","Zeta":"1","Alpha":"2"}})");
  const Json out = scheme.sign(in, kSettings, TestKey::shared().signer());
  EXPECT_EQ(out["fields"][4][0], "Zeta");
  EXPECT_EQ(out["fields"][5][0], "Alpha");
}

TEST(MyposSign, AsksForPkcs1OverTheBase64Text) {
  const MyposScheme scheme;
  SignRequest seen{SignAlg::kRsaPssSha256, 99};
  std::string seen_data;
  const SigningKey spy{[&](const SignRequest& r, ByteView d) {
                         seen = r;
                         seen_data = std::string(as_chars(d));
                         return Bytes{1};
                       },
                       KeyType::kRsa};
  scheme.sign(Json::parse(R"({"fields":[["SID","1"],["WalletNumber","2"],["KeyIndex","3"]]})"), {},
              spy);
  EXPECT_EQ(seen.alg, SignAlg::kRsaPkcs1Sha256);
  EXPECT_EQ(seen_data, base64_encode(as_bytes("1-2-3")));
}

TEST(MyposSign, BadInputsNameTheField) {
  const MyposScheme scheme;
  const auto kind_and_field = [&](const char* json) {
    try {
      scheme.sign(Json::parse(json), kSettings, TestKey::shared().signer());
    } catch (const SchemeError& e) {
      return std::make_pair(e.kind(), e.field());
    }
    return std::make_pair(SchemeErrorKind::kBadRequest, std::string("no error"));
  };
  using K = SchemeErrorKind;
  EXPECT_EQ(kind_and_field("{}"), std::make_pair(K::kBadRequest, std::string("fields")));
  EXPECT_EQ(kind_and_field(R"({"fields":"x"})"),
            std::make_pair(K::kBadRequest, std::string("fields")));
  EXPECT_EQ(kind_and_field(R"({"fields":[["a"]]})"),
            std::make_pair(K::kBadRequest, std::string("fields[0]")));
  EXPECT_EQ(kind_and_field(R"({"fields":[["a","1"],["b",20.00]]})"),
            std::make_pair(K::kBadRequest, std::string("fields[1]")));
  EXPECT_EQ(kind_and_field(R"({"fields":{"a":true}})"),
            std::make_pair(K::kBadRequest, std::string("fields.a")));
  EXPECT_EQ(kind_and_field(R"({"fields":[["Signature","x"]]})"),
            std::make_pair(K::kUnprocessable, std::string("fields.Signature")));
  EXPECT_EQ(kind_and_field("[]"), std::make_pair(K::kBadRequest, std::string("body")));
}

}  // namespace
}  // namespace p11signd::schemes
