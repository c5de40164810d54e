#include "cli/bench_target.h"

#include <map>
#include <nlohmann/json.hpp>

#include "cli/daemon_call.h"
#include "cli/errors.h"
#include "common/bytes.h"
#include "common/encoding.h"

namespace p11signd::cli {
namespace {

using Json = nlohmann::ordered_json;

struct SchemeBench {
  const char* input;   // built-in sign input; the key is added
  const char* marker;  // the answer's signature field
};

// One representative request per scheme, valid with the key settings the scheme needs (the dev
// mode's demo key has them all but carat's).
const std::map<std::string, SchemeBench>& scheme_benches() {
  static const std::map<std::string, SchemeBench> benches = {
      {"mypos",
       {R"({"fields":[["IPCmethod","IPCPurchase"],["IPCVersion","1.4"],["IPCLanguage","EN"],
            ["Amount","23.45"],["Currency","EUR"],["OrderID","bench-1"],
            ["URL_OK","https://shop.example/ok"],["URL_Cancel","https://shop.example/cancel"],
            ["URL_Notify","https://shop.example/notify"],["CartItems","1"],["Article_1","Mug"],
            ["Quantity_1","1"],["Price_1","23.45"],["Amount_1","23.45"],["Currency_1","EUR"]]})",
        R"("signature":)"}},
      {"swifood", {R"({"param":{"orderNo":"bench-1","amount":"18.50"}})", R"("sign":)"}},
      {"carat", {R"({"claims":{"order_id":"bench-1","amount":"10.00"}})", R"("jwt":)"}},
      {"jws", {R"({"alg":"RS256","payload":{"amount":"10.00","currency":"EUR"}})", R"("jws":)"}},
      {"amazonpay",
       {R"({"method":"POST","url":"https://pay-api.amazon.eu/v2/checkoutSessions","body":"{}"})",
        R"("authorization":)"}},
      {"alipay",
       {R"({"params":{"method":"alipay.trade.query","biz_content":{"out_trade_no":"bench-1"}}})",
        R"("sign":)"}},
      {"wechatpay", {R"({"method":"GET","url":"/v3/certificates"})", R"("signature":)"}},
  };
  return benches;
}

Json parse_object(const std::string& text, const std::string& what) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) throw UsageError(what + " must be a JSON object");
  return j;
}

Json raw_sign_body(const BenchRequest& r) {
  const std::string data(r.size, 'x');
  return Json{{"alg", r.alg}, {"data", base64_encode(as_bytes(data))}};
}

Json scheme_input(const BenchRequest& r) {
  const auto& benches = scheme_benches();
  const auto it = benches.find(*r.scheme);
  if (it == benches.end()) {
    std::string known;
    for (const auto& [name, bench] : benches) known += (known.empty() ? "" : ", ") + name;
    throw UsageError("--scheme " + *r.scheme + ": not one of " + known);
  }
  return parse_object(r.input.value_or(it->second.input), r.input ? "--in" : "the built-in input");
}

// WeChat Pay's own verify route checks callbacks, not requests: the request's message is rebuilt
// and checked as a raw signature.
SampleCheck wechatpay_check(const BenchRequest& r, const Json& input, const Json& answer) {
  const std::string message = input.value("method", "") + "\n" + input.value("url", "") + "\n" +
                              answer.value("timestamp", "") + "\n" + answer.value("nonce_str", "") +
                              "\n" + input.value("body", "") + "\n";
  const Json body{{"alg", "RSA-SHA256"},
                  {"data", base64_encode(as_bytes(message))},
                  {"signature", answer.value("signature", "")}};
  return {key_path(r.key, "/verify"), body.dump()};
}

// The scheme's verify input, built from what was sent and what came back.
Json scheme_verify_input(const std::string& scheme, const Json& input, const Json& answer) {
  if (scheme == "mypos") return Json{{"form", answer.at("form")}};
  if (scheme == "swifood") return Json{{"param", answer.at("param")}, {"sign", answer.at("sign")}};
  if (scheme == "carat") return Json{{"jwt", answer.at("jwt")}};
  if (scheme == "jws") return Json{{"jws", answer.at("jws")}};
  if (scheme == "alipay") {
    return Json{{"params", answer.at("params")}, {"include_sign_type", true}};
  }
  if (scheme == "amazonpay") {
    return Json{{"method", input.at("method")},
                {"url", input.at("url")},
                {"headers", answer.at("headers")},
                {"body", answer.contains("body") ? answer["body"] : input.value("body", Json(""))}};
  }
  throw Failure("bench: no sample verification for scheme " + scheme);
}

}  // namespace

BenchTarget make_bench_target(const BenchRequest& r) {
  if (!r.scheme) {
    Json body = raw_sign_body(r);
    return {key_path(r.key, "/sign"), body.dump(), R"("signature":)"};
  }
  Json input = scheme_input(r);
  input["key"] = r.key;
  return {"/v1/schemes/" + path_segment(*r.scheme) + "/sign", input.dump(),
          scheme_benches().at(*r.scheme).marker};
}

SampleCheck sample_check_for(const BenchRequest& r, const std::string& answer_text) {
  const Json answer = Json::parse(answer_text, nullptr, /*allow_exceptions=*/false);
  if (!answer.is_object()) throw Failure("bench: the sample answer is not a JSON object");
  try {
    if (!r.scheme) {
      Json body = raw_sign_body(r);
      body["signature"] = answer.at("signature");
      return {key_path(r.key, "/verify"), body.dump()};
    }
    const Json input = scheme_input(r);
    if (*r.scheme == "wechatpay") return wechatpay_check(r, input, answer);
    Json body = scheme_verify_input(*r.scheme, input, answer);
    body["key"] = r.key;
    return {"/v1/schemes/" + path_segment(*r.scheme) + "/verify", body.dump()};
  } catch (const Json::exception& e) {
    throw Failure("bench: the sample answer lacks a field the check needs: " +
                  std::string(e.what()));
  }
}

}  // namespace p11signd::cli
