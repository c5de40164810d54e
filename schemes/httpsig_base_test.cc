// The component values of RFC 9421 section 2's examples.
#include "schemes/httpsig_base.h"

#include <gtest/gtest.h>

namespace p11signd::schemes {
namespace {

HttpMessage request(std::string uri, std::vector<std::pair<std::string, std::string>> fields = {}) {
  HttpMessage m;
  m.method = "POST";
  m.target_uri = std::move(uri);
  m.fields = std::move(fields);
  return m;
}

std::string value(const std::string& id, const HttpMessage& m, const HttpMessage* req = nullptr) {
  return component_value(sf::parse_item(id), BaseContext{m, req});
}

TEST(HttpsigComponents, DerivedComponentsOfSection22) {
  const HttpMessage m = request("https://www.example.com/path?param=value");
  EXPECT_EQ(value("\"@method\"", m), "POST");
  EXPECT_EQ(value("\"@target-uri\"", m), "https://www.example.com/path?param=value");
  EXPECT_EQ(value("\"@authority\"", m), "www.example.com");
  EXPECT_EQ(value("\"@scheme\"", m), "https");
  EXPECT_EQ(value("\"@request-target\"", m), "/path?param=value");
  EXPECT_EQ(value("\"@path\"", m), "/path");
  EXPECT_EQ(value("\"@query\"", m), "?param=value");
  EXPECT_EQ(value("\"@scheme\"", request("http://www.example.com/")), "http");
  EXPECT_EQ(value("\"@target-uri\"", request("https://h/p?q=1#frag")), "https://h/p?q=1");
  EXPECT_EQ(value("\"@path\"", request("https://h/p#frag")), "/p");
  EXPECT_EQ(value("\"@query\"", request("https://h/path?")), "?");
  EXPECT_EQ(value("\"@query\"", request("https://h/path")), "?");
  EXPECT_EQ(value("\"@path\"", request("https://h")), "/");
  EXPECT_EQ(value("\"@query\"", request("https://h/p?param=value&foo=bar&baz=bat%2Dman")),
            "?param=value&foo=bar&baz=bat%2Dman");
}

TEST(HttpsigComponents, AuthorityIsLowercasedWithoutTheDefaultPort) {
  EXPECT_EQ(value("\"@authority\"", request("https://User@Example.COM:443/x")), "example.com");
  EXPECT_EQ(value("\"@authority\"", request("http://example.com:8080/x")), "example.com:8080");
  EXPECT_EQ(value("\"@authority\"", request("http://[::1]:80/x")), "[::1]");
}

TEST(HttpsigComponents, QueryParamsOfSection228) {
  const HttpMessage a = request("https://www.example.com/path?param=value&foo=bar&baz=batman&qux=");
  EXPECT_EQ(value("\"@query-param\";name=\"baz\"", a), "batman");
  EXPECT_EQ(value("\"@query-param\";name=\"qux\"", a), "");
  EXPECT_EQ(value("\"@query-param\";name=\"param\"", a), "value");
  const HttpMessage b = request(
      "https://www.example.com/parameters?var=this%20is%20a%20big%0Amultiline%20value&bar=with+"
      "plus+whitespace&fa%C3%A7ade%22%3A%20=something");
  EXPECT_EQ(value("\"@query-param\";name=\"var\"", b), "this%20is%20a%20big%0Amultiline%20value");
  EXPECT_EQ(value("\"@query-param\";name=\"bar\"", b), "with%20plus%20whitespace");
  EXPECT_EQ(value("\"@query-param\";name=\"fa%C3%A7ade%22%3A%20\"", b), "something");
  EXPECT_THROW(value("\"@query-param\";name=\"nope\"", a), ComponentError);
  EXPECT_THROW(value("\"@query-param\";name=\"a\"", request("https://h/?a=1&a=2")), ComponentError);
  EXPECT_THROW(value("\"@query-param\"", a), ComponentError);
}

TEST(HttpsigComponents, FieldsOfSection21) {
  const HttpMessage m =
      request("https://example.com/", {{"X-OWS-Header", "   Leading and trailing whitespace.   "},
                                       {"X-Empty-Header", ""},
                                       {"Example-Dict", " a=1,    b=2;x=1;y=2,   c=(a   b   c)"},
                                       {"Example-Header", "value, with, lots"},
                                       {"Example-Header", "of, commas"}});
  EXPECT_EQ(value("\"x-ows-header\"", m), "Leading and trailing whitespace.");
  EXPECT_EQ(value("\"x-empty-header\"", m), "");
  EXPECT_EQ(value("\"example-dict\"", m), "a=1,    b=2;x=1;y=2,   c=(a   b   c)");
  EXPECT_EQ(value("\"example-header\"", m), "value, with, lots, of, commas");
  EXPECT_EQ(value("\"example-header\";bs", m), ":dmFsdWUsIHdpdGgsIGxvdHM=:, :b2YsIGNvbW1hcw==:");
  const FieldTypes types{{"example-dict", FieldType::kDictionary}};
  EXPECT_EQ(component_value(sf::parse_item("\"example-dict\";sf"), BaseContext{m, nullptr, &types}),
            "a=1, b=2;x=1;y=2, c=(a b c)");
  EXPECT_THROW(value("\"example-dict\";sf", m), ComponentError);  // type unknown
  EXPECT_THROW(value("\"missing\"", m), ComponentError);
  EXPECT_THROW(value("\"Example-Header\"", m), ComponentError);  // names are lowercase
}

TEST(HttpsigComponents, DictionaryKeysOfSection212) {
  const HttpMessage m =
      request("https://example.com/", {{"Example-Dict", "  a=1, b=2;x=1;y=2, c=(a   b    c), d"}});
  EXPECT_EQ(value("\"example-dict\";key=\"a\"", m), "1");
  EXPECT_EQ(value("\"example-dict\";key=\"d\"", m), "?1");
  EXPECT_EQ(value("\"example-dict\";key=\"b\"", m), "2;x=1;y=2");
  EXPECT_EQ(value("\"example-dict\";key=\"c\"", m), "(a b c)");
  EXPECT_THROW(value("\"example-dict\";key=\"z\"", m), ComponentError);
}

TEST(HttpsigComponents, StatusAndReq) {
  HttpMessage resp;
  resp.status = 200;
  const HttpMessage req = request("https://example.com/foo", {{"Content-Type", "text/plain"}});
  EXPECT_EQ(value("\"@status\"", resp), "200");
  EXPECT_EQ(value("\"@method\";req", resp, &req), "POST");
  EXPECT_EQ(value("\"content-type\";req", resp, &req), "text/plain");
  EXPECT_THROW(value("\"@status\"", req), ComponentError);
  EXPECT_THROW(value("\"@method\"", resp, &req), ComponentError);  // a response has no method
  EXPECT_THROW(value("\"@method\";req", resp), ComponentError);    // no request given
  EXPECT_THROW(value("\"@method\";req", req, &req), ComponentError);
}

TEST(HttpsigComponents, CoveredListsAreChecked) {
  for (const char* bad :
       {"(\"@method\" \"@method\")", "(\"a\";key=\"x\";sf \"a\";sf;key=\"x\")", "(\"x\";tr)",
        "(\"x\";foo)", "(\"@path\";name=\"a\")", "(\"x\";bs;sf)", "(\"@method\";sf)", "(abc)",
        "(\"\")", "(\"@signature-params\")", "(\"@nonsense\")"}) {
    const HttpMessage m = request("https://example.com/", {{"x", "1"}, {"a", "b=1"}});
    EXPECT_THROW(signature_base(sf::parse_inner_list(bad), BaseContext{m}), ComponentError) << bad;
  }
}

TEST(HttpsigComponents, LineBreaksInValuesAreRefused) {
  const HttpMessage m = request("https://example.com/", {{"x", "a\nb"}});
  EXPECT_THROW(value("\"x\"", m), ComponentError);
}

}  // namespace
}  // namespace p11signd::schemes
