// RFC 9421 Appendix B (and section 2.4) end to end: every signature base reproduced byte for byte,
// the RFC's signatures verified with its B.1 keys, the deterministic ed25519 ones reproduced.
#include "schemes/httpsig.h"

#include <gtest/gtest.h>

#include <sstream>

#include "common/encoding.h"
#include "schemes/httpsig_base.h"
#include "schemes/httpsig_input.h"
#include "schemes/peer_key.h"
#include "schemes/testing/test_key.h"

namespace p11signd::schemes {
namespace {

using testing::read_testdata;
using testing::TestKey;

constexpr std::int64_t kCreated = 1618884473;  // the RFC examples' created

Clock fixed_clock(std::int64_t seconds) {
  return [seconds] { return std::chrono::system_clock::time_point(std::chrono::seconds(seconds)); };
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

// A message file: start line, header lines, empty line, body. A request's target URI is
// https://HOST/TARGET (the RFC's examples are https).
Json message_json(const std::string& path) {
  const std::string text = read_testdata("httpsig/" + path);
  const auto split = text.find("\n\n");
  std::istringstream head(text.substr(0, split));
  std::string start;
  std::getline(head, start);
  Json msg{{"headers", Json::object()}};
  std::string target;
  if (start.starts_with("HTTP/")) {
    msg["status"] = std::stoi(start.substr(9, 3));
  } else {
    msg["method"] = start.substr(0, start.find(' '));
    target = start.substr(start.find(' ') + 1);
    target = target.substr(0, target.find(' '));
  }
  for (std::string line; std::getline(head, line);) {
    const auto colon = line.find(':');
    const std::string name = line.substr(0, colon);
    if (!msg["headers"].contains(name)) msg["headers"][name] = Json::array();
    msg["headers"][name].push_back(line.substr(colon + 1));
  }
  if (!target.empty()) {
    msg["target_uri"] =
        "https://" + trimmed(msg["headers"]["Host"][0].get<std::string>().substr(1)) + target;
  }
  if (split != std::string::npos) msg["body"] = text.substr(split + 2);
  return msg;
}

// The message with the example's Signature-Input and Signature fields added.
Json signed_json(const std::string& message, const std::string& example) {
  Json msg = message_json(message);
  msg["headers"]["Signature-Input"] =
      trimmed(read_testdata("httpsig/" + example + ".signature-input"));
  msg["headers"]["Signature"] = trimmed(read_testdata("httpsig/" + example + ".signature"));
  return msg;
}

// The base as the verifier builds it from the received Signature-Input.
std::string base_of(const Json& msg, const Json* request = nullptr) {
  const HttpMessage m = message_from_json(msg, "");
  std::optional<HttpMessage> req;
  if (request) req = message_from_json(*request, "request.");
  const Json& field = msg["headers"]["Signature-Input"];
  const std::string input =
      field.is_array() ? field[0].get<std::string>() : field.get<std::string>();
  const auto dict = sf::parse_dictionary(input);
  const auto& params = std::get<sf::InnerList>(dict.front().second);
  return signature_base(params, BaseContext{m, req ? &*req : nullptr});
}

PeerKey rfc_key(const std::string& name) {
  return PeerKey::from_text(read_testdata("httpsig/" + name + ".pub.pem"));
}

struct Example {
  const char* name;
  const char* message;
  const char* key;
};
const Example kExamples[] = {
    {"b21", "test-request.http", "test-key-rsa-pss"},
    {"b22", "test-request.http", "test-key-rsa-pss"},
    {"b23", "test-request.http", "test-key-rsa-pss"},
    {"b24", "test-response.http", "test-key-ecc-p256"},
    {"b26", "test-request.http", "test-key-ed25519"},
    {"b3", "b3-proxied-request.http", "test-key-ecc-p256"},
};

TEST(HttpsigRfc9421, EveryAppendixBBaseIsReproducedByteForByte) {
  for (const auto& ex : kExamples) {
    EXPECT_EQ(base_of(signed_json(ex.message, ex.name)),
              read_testdata("httpsig/" + std::string(ex.name) + ".base"))
        << ex.name;
  }
  // B.2.5 is hmac-sha256 (not offered), but its base is the same construction.
  EXPECT_EQ(base_of(signed_json("test-request.http", "b25")), read_testdata("httpsig/b25.base"));
  EXPECT_EQ(base_of(message_json("b4-request.http")), read_testdata("httpsig/b4.base"));
}

TEST(HttpsigRfc9421, ReqComponentsOfSection24) {
  const Json request = message_json("test-request.http");
  const Json response = signed_json("s2.4-reqres-response.http", "s2.4-reqres");
  EXPECT_EQ(base_of(response, &request), read_testdata("httpsig/s2.4-reqres.base"));
}

TEST(HttpsigRfc9421, TheRfcSignaturesVerifyWithTheB1Keys) {
  const HttpsigScheme scheme(fixed_clock(kCreated + 10));
  for (const auto& ex : kExamples) {
    const Json result = scheme.verify(signed_json(ex.message, ex.name), rfc_key(ex.key));
    EXPECT_TRUE(result["valid"].get<bool>()) << ex.name << ": " << result.dump();
    EXPECT_EQ(result["keyid"], ex.key) << ex.name;
  }
  const Json b4 = scheme.verify(message_json("b4-request.http"), rfc_key("test-key-ed25519"));
  EXPECT_TRUE(b4["valid"].get<bool>()) << b4.dump();
  EXPECT_EQ(b4["label"], "transform");
  Json reqres = signed_json("s2.4-reqres-response.http", "s2.4-reqres");
  reqres["request"] = message_json("test-request.http");
  const Json r = scheme.verify(reqres, rfc_key("test-key-ecc-p256"));
  EXPECT_TRUE(r["valid"].get<bool>()) << r.dump();
  EXPECT_EQ(r["label"], "reqres");
}

TEST(HttpsigRfc9421, TheRsaPssKeyIsPss) {
  // test-key-rsa-pss with rsa-v1_5-sha256 does not verify B.2.1; with the right alg it does.
  const HttpsigScheme scheme(fixed_clock(kCreated));
  Json msg = signed_json("test-request.http", "b21");
  msg["alg"] = "rsa-v1_5-sha256";
  EXPECT_FALSE(scheme.verify(msg, rfc_key("test-key-rsa-pss"))["valid"].get<bool>());
  msg["alg"] = "rsa-pss-sha512";
  EXPECT_TRUE(scheme.verify(msg, rfc_key("test-key-rsa-pss"))["valid"].get<bool>());
}

TEST(HttpsigRfc9421, TransformedMessagesOfB4) {
  const HttpsigScheme scheme(fixed_clock(kCreated));
  const PeerKey key = rfc_key("test-key-ed25519");
  Json msg = message_json("b4-request.http");
  msg["target_uri"] = "https://example.org/demo?name1=Value1&Name2=value2&param=added";
  msg["headers"]["Accept-Language"] = "en-US,en;q=0.5";
  EXPECT_TRUE(scheme.verify(msg, key)["valid"].get<bool>());  // query not covered
  msg = message_json("b4-request.http");
  msg["headers"]["Accept"] = "application/json, */*";  // collapsed into one line
  EXPECT_TRUE(scheme.verify(msg, key)["valid"].get<bool>());
  msg = message_json("b4-request.http");
  msg["method"] = "POST";
  EXPECT_FALSE(scheme.verify(msg, key)["valid"].get<bool>());
  msg = message_json("b4-request.http");
  msg["headers"]["Accept"] = Json::array({"*/*", "application/json"});  // order matters
  EXPECT_FALSE(scheme.verify(msg, key)["valid"].get<bool>());
}

Json sign_input_for(const std::string& message, const std::vector<std::string>& components,
                    const std::string& keyid, const std::string& label) {
  Json in = message_json(message);
  in["components"] = components;
  in["created"] = kCreated;
  in["keyid"] = keyid;
  in["label"] = label;
  in["content_digest"] = "none";
  return in;
}

TEST(HttpsigRfc9421, Ed25519SignaturesOfB26AndB4AreReproducedExactly) {
  const HttpsigScheme scheme(fixed_clock(kCreated));
  const TestKey key = TestKey::from_pem(read_testdata("httpsig/test-key-ed25519.key.pem"));
  const Json b26 = scheme.sign(
      sign_input_for("test-request.http",
                     {"date", "@method", "@path", "@authority", "content-type", "content-length"},
                     "test-key-ed25519", "sig-b26"),
      {}, key.signer());
  EXPECT_EQ(b26["signature_base"], read_testdata("httpsig/b26.base"));
  EXPECT_EQ(b26["headers"]["Signature-Input"],
            trimmed(read_testdata("httpsig/b26.signature-input")));
  EXPECT_EQ(b26["headers"]["Signature"], trimmed(read_testdata("httpsig/b26.signature")));
  EXPECT_EQ(b26["alg"], "ed25519");

  Json b4_in = sign_input_for("b4-request.http", {"@method", "@path", "@authority", "accept"},
                              "test-key-ed25519", "transform");
  b4_in["headers"].erase("Signature-Input");
  b4_in["headers"].erase("Signature");
  const Json b4 = scheme.sign(b4_in, {}, key.signer());
  const Json expected = message_json("b4-request.http")["headers"];
  EXPECT_EQ(b4["headers"]["Signature"], expected["Signature"][0].get<std::string>().substr(1));
}

TEST(HttpsigRfc9421, PssSigningOfB21GivesTheRfcInputAndAVerifyingSignature) {
  const HttpsigScheme scheme(fixed_clock(kCreated));
  const TestKey key = TestKey::from_pem(read_testdata("httpsig/test-key-rsa.key.pem"));
  Json in = sign_input_for("test-request.http", {}, "test-key-rsa-pss", "sig-b21");
  in["nonce"] = "b3k2pp5k7z-50gnwp.yemd";
  const Json out = scheme.sign(in, {}, key.signer());
  EXPECT_EQ(out["signature_base"], read_testdata("httpsig/b21.base"));
  EXPECT_EQ(out["headers"]["Signature-Input"],
            trimmed(read_testdata("httpsig/b21.signature-input")));
  EXPECT_EQ(out["alg"], "rsa-pss-sha512");
  const Bytes sig = *base64_decode(out["signature"].get<std::string>());
  EXPECT_TRUE(rfc_key("test-key-rsa")
                  .verify(SignRequest{SignAlg::kRsaPssSha512, 64},
                          as_bytes(out["signature_base"].get<std::string>()), sig));
}

TEST(HttpsigRfc9421, RsaV15IsDeterministicWithTestKeyRsa) {
  const HttpsigScheme scheme(fixed_clock(kCreated));
  const TestKey key = TestKey::from_pem(read_testdata("httpsig/test-key-rsa.key.pem"));
  Json in = sign_input_for("test-request.http", {"@method", "@authority", "content-digest"},
                           "test-key-rsa", "sig1");
  in["alg"] = "rsa-v1_5-sha256";
  const Json a = scheme.sign(in, {}, key.signer());
  EXPECT_EQ(a["headers"]["Signature"], scheme.sign(in, {}, key.signer())["headers"]["Signature"]);
  EXPECT_EQ(a["headers"]["Signature-Input"],
            "sig1=(\"@method\" \"@authority\" \"content-digest\");created=1618884473;"
            "keyid=\"test-key-rsa\";alg=\"rsa-v1_5-sha256\"");
  Json received = message_json("test-request.http");
  received["headers"]["Signature-Input"] = a["headers"]["Signature-Input"];
  received["headers"]["Signature"] = a["headers"]["Signature"];
  EXPECT_TRUE(scheme.verify(received, rfc_key("test-key-rsa"))["valid"].get<bool>());
}

}  // namespace
}  // namespace p11signd::schemes
