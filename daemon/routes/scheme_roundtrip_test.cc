// Every scheme, end to end on a real (throwaway SoftHSM) token: the daemon signs, and its own
// verify route accepts the answer exactly as an application would pass it on - with the key's
// public key configured as the scheme's [peer.NAME]. One changed byte, field, header or claim, or
// another key as the peer, must make verification fail. Both paddings: PKCS#1 v1.5 (raw, mypos,
// swifood, carat, jws RS256, alipay, wechatpay) and PSS (raw, jws PS256, amazonpay V2 salt 32 and
// V1 salt 20).
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "common/public_key.h"
#include "daemon/keystore/token_keystore.h"
#include "daemon/routes/public_key.h"
#include "daemon/testing/test_support.h"
#include "tests/testing/softhsm.h"

namespace p11signd::daemon {
namespace {

using namespace p11signd::daemon::testing;
using Json = nlohmann::ordered_json;

const char* const kSchemes[] = {"mypos",     "swifood", "carat",           "jws",
                                "amazonpay", "alipay",  "cavage",          "wechatpay",
                                "alipay-v3", "ob-jws",  "client-assertion"};

// One round trip: the sign request (the key is added), the verify request built from the answer
// (the peer is added), and a change to that verify request that must make it fail.
struct RoundTrip {
  std::string name;
  std::string scheme;
  Json sign;
  std::function<Json(const Json& answer)> verify_request;
  std::function<void(Json& verify)> tamper;
  std::string action = "sign";
};

std::string replace_once(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "'" << from << "' not in " << text;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

// Changes one claim of a compact JWS/JWT, leaving header and signature as they were.
std::string with_changed_claim(const std::string& jwt, const std::string& claim,
                               const std::string& value) {
  const auto first = jwt.find('.');
  const auto second = jwt.find('.', first + 1);
  const auto payload = base64url_decode(jwt.substr(first + 1, second - first - 1));
  EXPECT_TRUE(payload.has_value());
  Json claims = Json::parse(std::string(payload->begin(), payload->end()));
  claims[claim] = value;
  const std::string text = claims.dump();
  return jwt.substr(0, first + 1) + base64url_encode(as_bytes(text)) + jwt.substr(second);
}

std::vector<RoundTrip> round_trips() {
  std::vector<RoundTrip> all;
  all.push_back(
      {"mypos form", "mypos",
       Json::parse(R"({"fields":[["IPCmethod","IPCPurchase"],["IPCVersion","1.4"],
                   ["IPCLanguage","EN"],["Amount","20.00"],["Currency","EUR"],
                   ["Note","a-b +%&=ü"]]})"),
       [](const Json& a) {
         return Json{{"form", a["form"]}};
       },
       [](Json& v) { v["form"] = replace_once(v["form"], "Amount=20.00", "Amount=20.01"); }});
  all.push_back({"mypos fields", "mypos",
                 Json::parse(R"({"fields":{"IPCmethod":"IPCPurchase","Amount":"20","Note":""}})"),
                 [](const Json& a) {
                   return Json{{"fields", a["fields"]}};
                 },
                 [](Json& v) { v["fields"][1][1] = "20.00"; }});
  all.push_back({"swifood", "swifood",
                 Json::parse(R"({"param":{"orderId":"A-1","amount":"9.90"}})"),
                 [](const Json& a) {
                   return Json{{"param", a["param"]}, {"sign", a["sign"]}};
                 },
                 [](Json& v) { v["param"] = replace_once(v["param"], "9.90", "9.91"); }});
  all.push_back(
      {"carat", "carat",
       Json::parse(R"({"claims":{"order_id":"7","amount":"100"},"service":"transaction"})"),
       [](const Json& a) {
         return Json{{"jwt", a["authorization"]}};
       },
       [](Json& v) {
         v["jwt"] =
             "Bearer " + with_changed_claim(std::string(v["jwt"]).substr(7), "amount", "101");
       }});
  for (const char* alg : {"RS256", "PS256"}) {
    all.push_back({std::string("jws ") + alg, "jws",
                   Json{{"alg", alg}, {"payload", {{"amount", "10.00"}}}},
                   [alg](const Json& a) {
                     return Json{{"jws", a["jws"]}, {"alg", alg}};
                   },
                   [](Json& v) { v["jws"] = with_changed_claim(v["jws"], "amount", "10.01"); }});
  }
  for (const char* alg : {"AMZN-PAY-RSASSA-PSS-V2", "AMZN-PAY-RSASSA-PSS"}) {
    all.push_back({std::string("amazonpay ") + alg, "amazonpay",
                   Json{{"method", "POST"},
                        {"url", "https://pay-api.amazon.eu/v2/checkoutSessions?b=2&a=1"},
                        {"headers", {{"x-amz-pay-idempotency-key", "idem-1"}}},
                        {"body", {{"chargeAmount", {{"amount", "1.00"}, {"currencyCode", "EUR"}}}}},
                        {"algorithm", alg}},
                   [](const Json& a) {
                     return Json{{"method", "POST"},
                                 {"url", "https://pay-api.amazon.eu/v2/checkoutSessions?b=2&a=1"},
                                 {"headers", a["headers"]},
                                 {"body", a["body"]}};
                   },
                   [](Json& v) { v["headers"]["x-amz-pay-idempotency-key"] = "idem-2"; }});
  }
  // A bank verifies what the TPP sent: the application's headers plus the daemon's, and the body.
  const Json cavage_request = Json::parse(R"({"method":"POST",
      "url":"https://api.bank.example/v1/payments/sepa-credit-transfers",
      "headers":{"PSU-ID":"PSU-1","Content-Type":"application/json"},
      "body":"{\"instructedAmount\":{\"currency\":\"EUR\",\"amount\":\"1.00\"}}"})");
  all.push_back({"cavage", "cavage", cavage_request,
                 [cavage_request](const Json& a) {
                   Json headers = cavage_request["headers"];
                   for (const auto& [k, v] : a["headers"].items()) headers[k] = v;
                   return Json{{"headers", headers}, {"body", cavage_request["body"]}};
                 },
                 [](Json& v) { v["headers"]["PSU-ID"] = "PSU-2"; }});
  all.push_back({"amazonpay button", "amazonpay",
                 Json::parse(R"({"payload":{"storeId":"amzn1.application-oa2-client.1"}})"),
                 [](const Json& a) {
                   return Json{{"payload", a["payload"]}, {"signature", a["signature"]}};
                 },
                 [](Json& v) { v["payload"] = replace_once(v["payload"], "client.1", "client.2"); },
                 "button-signature"});
  all.push_back({"alipay", "alipay",
                 Json::parse(R"({"params":{"method":"alipay.trade.page.pay","charset":"utf-8",
                   "timestamp":"2026-11-23 10:00:00","version":"1.0",
                   "biz_content":{"out_trade_no":"20261123-1","total_amount":"88.88"}}})"),
                 [](const Json& a) {
                   return Json{{"params", a["params"]}, {"include_sign_type", true}};
                 },
                 [](Json& v) { v["params"]["version"] = "1.1"; }});
  const std::string payment = R"({"Data":{"Initiation":{"InstructedAmount":{"Amount":"10.00"}}}})";
  all.push_back({"ob-jws", "ob-jws", Json{{"body", payment}},
                 [payment](const Json& a) {
                   return Json{{"x-jws-signature", a["x-jws-signature"]}, {"body", payment}};
                 },
                 [](Json& v) { v["body"] = replace_once(v["body"], "10.00", "10.01"); }});
  all.push_back({"client-assertion", "client-assertion", Json{{"claims", {{"purpose", "a"}}}},
                 [](const Json& a) {
                   return Json{{"client_assertion", a["form"]["client_assertion"]},
                               {"aud", "https://as.example/token"}};
                 },
                 [](Json& v) {
                   v["client_assertion"] =
                       with_changed_claim(v["client_assertion"], "purpose", "b");
                 }});
  all.push_back({"client-assertion request object", "client-assertion",
                 Json::parse(R"({"params":{"response_type":"code","scope":"openid"}})"),
                 [](const Json& a) {
                   return Json{{"request", a["request"]}, {"aud", "https://as.example/token"}};
                 },
                 [](Json& v) { v["request"] = with_changed_claim(v["request"], "scope", "email"); },
                 "request-object"});
  return all;
}

class SchemeRoundTripTest : public ::testing::Test {
 protected:
  void SetUp() override {
    hsm_ = std::make_unique<p11signd::testing::SoftHsm>("scheme-roundtrip");
    auto store = std::make_unique<TokenKeyStore>(pkcs11::Token::open(hsm_->config()));
    spki_ = store->generate_key("merchant", "merchant", 2048).spki_der;
    std::ofstream(dir_.file("merchant.pem")) << spki_pem(spki_);
    std::ofstream(dir_.file("stranger.pem")) << spki_pem(spki_der(shared_key(1).get()));
    std::ofstream(dir_.file("carat-merchant-key")) << "MERCHANT-KEY-1\n";
    std::ofstream(dir_.file("merchant-qseal.pem"))
        << store->make_certificate("merchant", "CN=merchant QSeal", 1, false);
    TestDaemon::Options o;
    o.sections =
        "[key.merchant]\nlabel = merchant\nallow-uids = " + std::to_string(::getuid()) +
        "\nschemes = raw, mypos, swifood, carat, jws, amazonpay, alipay, wechatpay, cavage, "
        "alipay-v3, ob-jws, client-assertion\n"
        "mypos.sid = 000000000000010\nmypos.wallet-number = 61938166610\n"
        "mypos.key-index = 1\nswifood.app-id = app-1\nswifood.store-key = STORE1\n"
        "carat.merchant-id = 900123\ncarat.merchant-key-file = " +
        dir_.file("carat-merchant-key") +
        "\njws.kid = merchant-1\namazonpay.public-key-id = PUBKEY-1\n"
        "amazonpay.region = eu\nalipay.app-id = 2021000000000001\n"
        "wechatpay.mchid = 1900000001\nwechatpay.serial-no = SERIAL1\n"
        "ob-jws.kid = merchant-1\nob-jws.iss = org-1/software-1\n"
        "client-assertion.client-id = client-1\n"
        "client-assertion.audience = https://as.example/token\n"
        "alipay-v3.app-id = 2021000000000001\ncavage.certificate = " +
        dir_.file("merchant-qseal.pem") + "\n";
    for (const char* scheme : kSchemes) {
      o.sections += std::string("[peer.") + scheme + "]\nscheme = " + scheme +
                    "\npublic-key = " + dir_.file("merchant.pem") + "\n";
      o.sections += std::string("[peer.") + scheme + "-stranger]\nscheme = " + scheme +
                    "\npublic-key = " + dir_.file("stranger.pem") + "\n";
    }
    daemon_ = std::make_unique<TestDaemon>(o, std::move(store));
    client_ = std::make_unique<Client>(daemon_->socket());
  }
  void TearDown() override {
    client_.reset();
    daemon_.reset();
    hsm_.reset();
  }

  Json post(const std::string& target, const Json& body) {
    auto res = client_->post(target, body.dump());
    EXPECT_EQ(res.result_int(), 200u) << target << " " << body.dump() << " -> " << res.body();
    return Json::parse(res.body());
  }
  // The verify route's answer for one request and one peer.
  Json verify(const std::string& scheme, Json request, const std::string& peer) {
    request["peer"] = peer;
    return post("/v1/schemes/" + scheme + "/verify", request);
  }

  TempDir dir_;
  std::unique_ptr<p11signd::testing::SoftHsm> hsm_;
  std::unique_ptr<TestDaemon> daemon_;
  std::unique_ptr<Client> client_;
  Bytes spki_;
};

TEST_F(SchemeRoundTripTest, EverySchemeVerifiesWhatItSigned) {
  for (const auto& trip : round_trips()) {
    SCOPED_TRACE(trip.name);
    Json sign = trip.sign;
    sign["key"] = "merchant";
    const Json answer = post("/v1/schemes/" + trip.scheme + "/" + trip.action, sign);
    const Json request = trip.verify_request(answer);
    EXPECT_EQ(verify(trip.scheme, request, trip.scheme)["valid"], true) << answer.dump() << "\n"
                                                                        << request.dump();
    Json changed = request;
    trip.tamper(changed);
    ASSERT_NE(changed, request);
    EXPECT_EQ(verify(trip.scheme, changed, trip.scheme)["valid"], false) << changed.dump();
    EXPECT_EQ(verify(trip.scheme, request, trip.scheme + "-stranger")["valid"], false);
  }
}

TEST_F(SchemeRoundTripTest, RawBothPaddingsVerifyWithTheKey) {
  for (const char* alg : {"RSA-SHA256", "RSA-PSS-SHA256"}) {
    SCOPED_TRACE(alg);
    const std::string data = base64_encode(as_bytes("pay 10.00 EUR"));
    const Json answer = post("/v1/keys/merchant/sign", Json{{"alg", alg}, {"data", data}});
    Json request{{"alg", alg}, {"data", data}, {"signature", answer["signature"]}};
    EXPECT_EQ(post("/v1/keys/merchant/verify", request)["valid"], true);
    request["data"] = base64_encode(as_bytes("pay 10.01 EUR"));
    EXPECT_EQ(post("/v1/keys/merchant/verify", request)["valid"], false);
    // And independently of the daemon: OpenSSL with the public key it hands out.
    SignRequest req;
    req.alg = *parse_sign_alg(alg);
    EXPECT_TRUE(verify_signature(spki_, req, as_bytes("pay 10.00 EUR"),
                                 *base64_decode(answer["signature"].get<std::string>())));
  }
}

// WeChat Pay signs requests (METHOD\nURL\ntimestamp\nnonce\nbody\n) but verifies callbacks
// (timestamp\nnonce\nbody\n); each direction is checked on its own message.
TEST_F(SchemeRoundTripTest, WechatpayRequestAndCallback) {
  const std::string body = R"({"mchid":"1900000001","out_trade_no":"N-1"})";
  const Json answer =
      post("/v1/schemes/wechatpay/sign", Json{{"key", "merchant"},
                                              {"method", "POST"},
                                              {"url", "/v3/pay/transactions/native?x=1"},
                                              {"body", body}});
  const std::string ts = answer["timestamp"], nonce = answer["nonce_str"];
  const std::string message =
      "POST\n/v3/pay/transactions/native?x=1\n" + ts + "\n" + nonce + "\n" + body + "\n";
  const std::string header = answer["authorization"];
  EXPECT_NE(header.find("signature=\"" + answer["signature"].get<std::string>() + "\""),
            std::string::npos);
  Json raw{{"alg", "RSA-SHA256"},
           {"data", base64_encode(as_bytes(message))},
           {"signature", answer["signature"]}};
  EXPECT_EQ(post("/v1/keys/merchant/verify", raw)["valid"], true) << message;

  // A callback as the platform would send it, signed here with the same key.
  const std::string callback = ts + "\n" + nonce + "\n" + body + "\n";
  const Json sig = post("/v1/keys/merchant/sign",
                        Json{{"alg", "RSA-SHA256"}, {"data", base64_encode(as_bytes(callback))}});
  Json request{
      {"timestamp", ts}, {"nonce", nonce}, {"signature", sig["signature"]}, {"body", body}};
  EXPECT_EQ(verify("wechatpay", request, "wechatpay")["valid"], true);
  EXPECT_EQ(verify("wechatpay", request, "wechatpay-stranger")["valid"], false);
  request["body"] = replace_once(body, "N-1", "N-2");
  EXPECT_EQ(verify("wechatpay", request, "wechatpay")["valid"], false);
}

// Alipay v3 signs requests (authString\nMETHOD\nURI\nbody\n) but verifies answers
// (timestamp\nnonce\nbody\n); each direction is checked on its own message.
TEST_F(SchemeRoundTripTest, AlipayV3RequestAndAnswer) {
  const std::string body = R"({"out_trade_no":"N-1"})";
  const Json answer = post("/v1/schemes/alipay-v3/sign", Json{{"key", "merchant"},
                                                              {"method", "POST"},
                                                              {"url", "/v3/alipay/trade/query"},
                                                              {"body", body}});
  const std::string auth = "app_id=2021000000000001,nonce=" + answer["nonce"].get<std::string>() +
                           ",timestamp=" + answer["timestamp"].get<std::string>();
  EXPECT_EQ(answer["authorization"],
            "ALIPAY-SHA256withRSA " + auth + ",sign=" + answer["signature"].get<std::string>());
  const std::string content = auth + "\nPOST\n/v3/alipay/trade/query\n" + body + "\n";
  Json raw{{"alg", "RSA-SHA256"},
           {"data", base64_encode(as_bytes(content))},
           {"signature", answer["signature"]}};
  EXPECT_EQ(post("/v1/keys/merchant/verify", raw)["valid"], true) << content;

  // An answer as Alipay would send it, signed here with the same key.
  const std::string signed_answer = "1764985001456\nnonce-1\n" + body + "\n";
  const Json sig =
      post("/v1/keys/merchant/sign",
           Json{{"alg", "RSA-SHA256"}, {"data", base64_encode(as_bytes(signed_answer))}});
  Json request{{"headers",
                {{"alipay-timestamp", "1764985001456"},
                 {"alipay-nonce", "nonce-1"},
                 {"alipay-signature", sig["signature"]}}},
               {"body", body}};
  EXPECT_EQ(verify("alipay-v3", request, "alipay-v3")["valid"], true);
  EXPECT_EQ(verify("alipay-v3", request, "alipay-v3-stranger")["valid"], false);
  request["body"] = replace_once(body, "N-1", "N-2");
  EXPECT_EQ(verify("alipay-v3", request, "alipay-v3")["valid"], false);
}

}  // namespace
}  // namespace p11signd::daemon
