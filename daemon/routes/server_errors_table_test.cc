// The error codes the daemon answers are the ones docs/api.md's table lists, with the table's
// status: every route's error paths are walked by a request and checked against the table read
// from the document, and every code the daemon's source can answer must be in the table.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "daemon/testing/test_support.h"

namespace p11signd::daemon {
namespace {

using namespace p11signd::daemon::testing;

using Table = std::map<std::string, std::set<unsigned>>;  // code -> the statuses it comes with

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The rows of "### Status codes and error codes": `| 400/422 | `a`, `b` | when |`.
Table documented_codes() {
  std::istringstream doc(read_file(std::string(P11SIGND_DOCS_DIR) + "/api.md"));
  Table table;
  bool in_table = false;
  const std::regex code_re("`([a-z_]+)`");
  for (std::string line; std::getline(doc, line);) {
    if (line.starts_with("### Status codes and error codes")) in_table = true;
    if (!in_table) continue;
    if (line.starts_with("## ")) break;
    if (!line.starts_with("| ") || line.starts_with("| status")) continue;
    const auto second_bar = line.find('|', 1);
    const auto third_bar = line.find('|', second_bar + 1);
    std::set<unsigned> statuses;
    std::istringstream status_cell(line.substr(1, second_bar - 1));
    for (std::string s; std::getline(status_cell, s, '/');) statuses.insert(std::stoul(s));
    const std::string codes = line.substr(second_bar + 1, third_bar - second_bar - 1);
    for (std::sregex_iterator it(codes.begin(), codes.end(), code_re), end; it != end; ++it) {
      table[(*it)[1]].insert(statuses.begin(), statuses.end());
    }
  }
  return table;
}

// The snake_case literals in each statement that names an error's http::status: the codes of
// ApiError, error_response and {status, code} returns, both arms of a `? :` included.
std::set<std::string> codes_in_source() {
  const std::filesystem::path daemon_dir =
      std::filesystem::path(P11SIGND_DOCS_DIR).parent_path() / "daemon";
  const std::regex literal_re("\"([a-z]+(_[a-z]+)*)\"");
  std::set<std::string> codes;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(daemon_dir)) {
    const std::string name = entry.path().filename();
    const bool test_only = entry.path().parent_path().filename() == "testing";
    if (!name.ends_with(".cc") || name.ends_with("_test.cc") || test_only) {
      continue;
    }
    const std::string text = read_file(entry.path());
    for (auto at = text.find("http::status::"); at != std::string::npos;
         at = text.find("http::status::", at + 1)) {
      const std::string statement = text.substr(at, text.find(';', at) - at);
      // Answers that are not errors carry their own members, not a code.
      if (statement.starts_with("http::status::ok") ||
          statement.starts_with("http::status::created")) {
        continue;
      }
      for (std::sregex_iterator it(statement.begin(), statement.end(), literal_re), end; it != end;
           ++it) {
        codes.insert((*it)[1]);
      }
    }
  }
  return codes;
}

TEST(ErrorsTable, TheTableIsReadable) {
  const Table table = documented_codes();
  ASSERT_GT(table.size(), 20u);
  EXPECT_EQ(table.at("unknown_field"), std::set<unsigned>{400});
  EXPECT_EQ(table.at("forbidden"), std::set<unsigned>{403});
}

TEST(ErrorsTable, EveryCodeTheDaemonAnswersIsInTheTable) {
  const Table table = documented_codes();
  const auto codes = codes_in_source();
  // The scan finds codes however they are written: ApiError, error_response, a {status, code}.
  for (const char* code : {"missing_field", "bad_request", "queue_full", "token_unavailable"}) {
    ASSERT_TRUE(codes.count(code)) << code;
  }
  for (const auto& code : codes) {
    // "error" is the member the body carries the code in.
    if (code == "error" || code == "code" || code == "message") continue;
    EXPECT_TRUE(table.count(code))
        << "the daemon answers code '" << code << "', which docs/api.md's table does not list";
  }
}

struct Probe {
  http::verb method;
  std::string target;
  std::string body;
  unsigned status;
  std::string code;
};

std::string many_members(std::size_t n) {
  std::string body = "{";
  for (std::size_t i = 0; i < n; ++i) body += (i ? ",\"m" : "\"m") + std::to_string(i) + "\":0";
  return body + "}";
}

// Codes this walk does not reach, and the tests that produce them instead: they need a token
// that fails, a full queue, a clock, or more connections than one client holds.
const std::map<std::string, std::string> kProducedElsewhere = {
    {"bad_request", "ServerTransport.GarbageGets400AndDisturbsNoOtherConnection"},
    {"request_timeout", "daemon/server/server_transport_test.cc"},
    {"payload_too_large", "daemon/server/server_transport_test.cc"},
    {"too_many_requests", "daemon/server/server_transport_test.cc"},
    {"headers_too_large", "daemon/server/server_bad_input_test.cc"},
    {"too_many_connections", "daemon/server/server_transport_test.cc"},
    {"too_many_connections_per_uid", "daemon/server/server_transport_test.cc"},
    {"token_unavailable", "daemon/routes/server_routes_test.cc"},
    {"token_timeout", "daemon/routes/server_routes_test.cc"},
    {"queue_full", "daemon/routes/server_routes_test.cc"},
    {"audit_unavailable", "daemon/routes/server_admin_test.cc"},
    {"certificate_not_found", "daemon/routes/server_admin_test.cc"},
    {"key_type_not_supported", "daemon/routes/server_key_types_test.cc (past the start's check)"},
    {"not_started", "daemon/lifecycle/dev_mode_process_test.cc (socket activation)"},
    {"internal", "a bug; no request is meant to produce it"},
};

TEST(ErrorsTable, EveryRoutesErrorPathsAnswerTheTable) {
  TestDaemon::Options options;
  options.sections += "[key.other]\nlabel = second\nallow-uids = 4242\nschemes = raw\n";
  TestDaemon d(options);
  const auto post = http::verb::post;
  const auto get = http::verb::get;
  const std::string data = R"("data":"aGVsbG8=")";
  const std::vector<Probe> probes = {
      // /v1/keys/NAME/sign and /verify
      {post, "/v1/keys/demo/sign", "{", 400, "invalid_json"},
      {post, "/v1/keys/demo/sign", "[1]", 400, "invalid_json"},
      {post, "/v1/keys/demo/sign", many_members(1025), 400, "too_many_members"},
      {post, "/v1/keys/demo/sign", "{}", 400, "missing_field"},
      {post, "/v1/keys/demo/sign", R"({"data":5})", 400, "bad_field"},
      {post, "/v1/keys/demo/sign", "{" + data + R"(,"algo":"RSA-PSS-SHA256"})", 400,
       "unknown_field"},
      {post, "/v1/keys/demo/sign", "{" + data + R"(,"alg":"RSA-MD5"})", 422, "invalid_request"},
      {post, "/v1/keys/demo/sign", R"({"data":"not base64!"})", 422, "invalid_request"},
      {post, "/v1/keys/nope/sign", "{" + data + "}", 404, "key_not_found"},
      {post, "/v1/keys/other/sign", "{" + data + "}", 403, "forbidden"},
      {post, "/v1/keys/demo/verify", "{" + data + "}", 400, "missing_field"},
      {post, "/v1/keys/demo/verify", "{" + data + R"(,"signature":"AA==","sig":"x"})", 400,
       "unknown_field"},
      // /v1/keys and the key's GET routes
      {get, "/v1/keys/demo/public-key?format=xml", "", 400, "bad_query"},
      {get, "/v1/nothing", "", 404, "not_found"},
      {http::verb::delete_, "/v1/keys", "", 405, "method_not_allowed"},
      // /v1/schemes/SCHEME/OP
      {post, "/v1/schemes/nope/sign", R"({"key":"demo"})", 404, "scheme_not_found"},
      {post, "/v1/schemes/jws/frobnicate", R"({"key":"restricted"})", 404, "not_found"},
      {post, "/v1/schemes/jws/sign", "{}", 400, "missing_field"},
      {post, "/v1/schemes/jws/sign", R"({"key":"restricted"})", 400, "missing_field"},
      {post, "/v1/schemes/jws/sign", R"({"key":"restricted","payload":5})", 400, "bad_field"},
      {post, "/v1/schemes/jws/sign", R"({"key":"restricted","paylod":{}})", 400, "unknown_field"},
      {post, "/v1/schemes/jws/sign", R"({"key":"restricted","payload":{},"header":{"b64":false}})",
       422, "invalid_request"},
      {post, "/v1/schemes/jws/sign", R"({"key":"demo","payload":{}})", 403, "forbidden"},
      {post, "/v1/schemes/jws/verify", "{}", 400, "missing_field"},
      {post, "/v1/schemes/jws/verify", R"({"key":"restricted","peer":"p"})", 400, "bad_field"},
      {post, "/v1/schemes/jws/verify", R"({"peer":"nobody","jws":"a.b.c"})", 404, "peer_not_found"},
      {post, "/v1/schemes/jws/verify", R"({"key":"restricted","jws":"a.b.c","algg":"RS256"})", 400,
       "unknown_field"},
      {post, "/v1/schemes/raw/sign", R"({"key":"demo",)" + data + R"(,"salt":20})", 400,
       "unknown_field"},
      // Admin routes
      {post, "/v1/keys", "{}", 400, "missing_field"},
      {post, "/v1/keys", R"({"name":"n1","bits":"big"})", 400, "bad_field"},
      {post, "/v1/keys", R"({"name":"n1","bit":3072})", 400, "unknown_field"},
      {post, "/v1/keys", R"({"name":"n1","bits":1024})", 422, "invalid_request"},
      {post, "/v1/keys", R"({"name":"demo"})", 409, "conflict"},
      {post, "/v1/keys/import", R"({"name":"n2"})", 400, "missing_field"},
      {post, "/v1/keys/import", R"({"name":"n2","pem":"x","lable":"l"})", 400, "unknown_field"},
      {post, "/v1/keys/demo/certificate", R"({"subject":"CN=x","day":3})", 400, "unknown_field"},
      {post, "/v1/keys/demo/certificate", R"({"subject":"CN=x","days":0})", 422, "invalid_request"},
      {post, "/v1/keys/demo/csr", "{}", 400, "missing_field"},
      {post, "/v1/keys/demo/csr", R"({"subject":"CN=x","subj":"CN=y"})", 400, "unknown_field"},
      // Key versions (nothing here makes a key: every refusal comes first)
      {get, "/v1/keys/demo/public-key?version=x", "", 400, "bad_query"},
      {get, "/v1/keys/demo/public-key?version=7", "", 404, "version_not_found"},
      {get, "/v1/keys/nope/jwks", "", 404, "key_not_found"},
      {post, "/v1/keys/demo/versions", R"({"typ":"rsa"})", 400, "unknown_field"},
      {post, "/v1/keys/demo/versions", R"({"type":"rsa","bits":1024})", 422, "invalid_request"},
      {post, "/v1/keys/demo/versions/9/activate", "", 404, "version_not_found"},
      {post, "/v1/keys/demo/versions/1/activate", "", 409, "conflict"},
      {http::verb::delete_, "/v1/keys/demo/versions/1", "{}", 400, "missing_field"},
      {http::verb::delete_, "/v1/keys/demo/versions/1", R"({"confirm":true})", 409, "conflict"},
      {http::verb::put, "/v1/keys/demo/versions/1/settings", R"({"settings":{"jws.kidd":"x"}})",
       400, "bad_field"},
  };
  const Table table = documented_codes();
  std::set<std::string> walked;
  for (const auto& p : probes) {
    Client c(d.socket());
    const auto res = c.request(p.method, p.target, p.body);
    const std::string code = error_code_of(res);
    const std::string what =
        std::string(http::to_string(p.method)) + " " + p.target + " " + p.body.substr(0, 80);
    EXPECT_EQ(res.result_int(), p.status) << what << " -> " << res.body();
    EXPECT_EQ(code, p.code) << what << " -> " << res.body();
    ASSERT_TRUE(table.count(code)) << what << ": code '" << code << "' is not in docs/api.md";
    EXPECT_TRUE(table.at(code).count(res.result_int()))
        << what << ": docs/api.md lists '" << code << "' with another status";
    walked.insert(code);
  }
  for (const auto& [code, statuses] : table) {
    EXPECT_TRUE(walked.count(code) || kProducedElsewhere.count(code))
        << "docs/api.md lists '" << code << "', which no request here produces";
  }
  // Nothing above was signed: every error came before the token was asked.
  for (const auto& rec : d.audit_records()) EXPECT_NE(rec.value("result", ""), "ok") << rec.dump();
}

TEST(ErrorsTable, MalformedJsonSaysWhere) {
  TestDaemon d;
  Client c(d.socket());
  const auto res = c.post("/v1/keys/demo/sign", "{\n  \"data\": \"aGVsbG8=\",\n  \"alg\" RSA\n}");
  EXPECT_EQ(error_code_of(res), "invalid_json");
  const std::string message = body_json(res)["error"]["message"];
  EXPECT_NE(message.find("line 3, column"), std::string::npos) << message;
  EXPECT_EQ(message.find("json.exception"), std::string::npos) << message;
}

}  // namespace
}  // namespace p11signd::daemon
