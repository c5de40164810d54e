// The client's read and sign commands, run as the real binary against a fake daemon: what goes over
// the socket, what is printed, and the exit status.

#include <sys/stat.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/testing/fake_daemon.h"
#include "cli/testing/run_p11sign.h"
#include "common/encoding.h"

namespace p11signd::cli::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

class P11signTest : public ::testing::Test {
 protected:
  RunResult run(std::vector<std::string> args, const RunOptions& options = {}) {
    args.insert(args.begin(), {"--socket", daemon_.socket_path()});
    return run_p11sign(args, options);
  }
  std::string write_file(const std::string& name, const std::string& content) {
    const std::string path = daemon_.dir() + "/" + name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  FakeDaemon daemon_;
};

TEST_F(P11signTest, HealthPrintsTheAnswer) {
  daemon_.respond({200, R"({"status":"ok","token":"payments"})"});
  const RunResult r = run({"health"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "{\n  \"status\": \"ok\",\n  \"token\": \"payments\"\n}\n");
  const RecordedRequest req = daemon_.only_request();
  EXPECT_EQ(req.method, "GET");
  EXPECT_EQ(req.target, "/v1/health");
}

TEST_F(P11signTest, UnhealthyTokenExitsOneWithTheReason) {
  daemon_.respond({503, R"({"status":"down","reason":"token not present"})"});
  const RunResult r = run({"health"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "p11sign: 503 Service Unavailable: token not present\n");
}

TEST_F(P11signTest, SocketComesFromTheEnvironment) {
  const RunResult r = run_p11sign({"keys"}, with_env("P11SIGN_SOCKET", daemon_.socket_path()));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(daemon_.only_request().target, "/v1/keys");
}

// --socket wins over $P11SIGN_SOCKET: the variable names a path where nothing listens, so the
// request reaches the fake daemon only if the flag is the one used.
TEST_F(P11signTest, SocketFlagWinsOverTheEnvironment) {
  RunOptions options = with_env("P11SIGN_SOCKET", daemon_.dir() + "/not-this.sock");
  const RunResult r = run_p11sign({"--socket", daemon_.socket_path(), "keys"}, options);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(daemon_.only_request().target, "/v1/keys");
  EXPECT_THAT(r.err, Not(HasSubstr("not-this.sock")));
}

// Neither --socket nor $P11SIGN_SOCKET (run_p11sign removes it): the client goes to the daemon's
// packaged socket, which the error names when nothing is there.
TEST_F(P11signTest, SocketFallsBackToTheSystemDaemonsPath) {
  const std::string fallback = "/run/p11signd/p11signd.sock";
  if (::access(fallback.c_str(), F_OK) == 0) {
    GTEST_SKIP() << fallback << " exists here: a connection to it could succeed";
  }
  const RunResult r = run_p11sign({"keys"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("p11sign: cannot connect to " + fallback + ":"));
  // The service may not run, or the user meant another daemon.
  EXPECT_THAT(r.err, HasSubstr("\np11sign: is the service running (`systemctl status p11signd`)? "
                               "For another daemon, such as `p11signd --dev`, pass --socket PATH "
                               "or set P11SIGN_SOCKET\n"));
  EXPECT_THAT(daemon_.requests(), IsEmpty());
}

TEST_F(P11signTest, UnreachableSocketIsAFailure) {
  const std::string nothing = daemon_.dir() + "/nothing.sock";
  RunResult r = run_p11sign({"--socket", nothing, "keys"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("p11sign: cannot connect to " + nothing));
  EXPECT_THAT(r.err, HasSubstr("\np11sign: is a p11signd listening there"));
  EXPECT_THAT(r.out, IsEmpty());
  r = run_p11sign({"keys"}, with_env("P11SIGN_SOCKET", nothing));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("\np11sign: the path is $P11SIGN_SOCKET's: is a p11signd listening "
                               "there"));
}

// A socket the user may not open: the hint is the group, not the path.
TEST_F(P11signTest, ASocketThatRefusesTheUserNamesTheGroup) {
  if (::geteuid() == 0) GTEST_SKIP() << "root opens any socket";
  const std::string locked_dir = daemon_.dir() + "/locked";
  ASSERT_EQ(::mkdir(locked_dir.c_str(), 0700), 0);
  ASSERT_EQ(::symlink(daemon_.socket_path().c_str(), (locked_dir + "/p.sock").c_str()), 0);
  ASSERT_EQ(::chmod(locked_dir.c_str(), 0), 0);
  const RunResult r = run_p11sign({"--socket", locked_dir + "/p.sock", "keys"});
  ::chmod(locked_dir.c_str(), 0700);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("Permission denied\np11sign: the socket is for the daemon's client "
                               "group"));
}

TEST_F(P11signTest, ADaemonThatDoesNotAnswerInTimeIsAFailure) {
  CannedResponse slow;
  slow.delay = std::chrono::milliseconds(600);
  daemon_.respond(slow);
  const RunResult r = run({"--timeout", "0.1", "health"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "p11sign: reading from " + daemon_.socket_path() + ": no answer within 100 ms\n");
  EXPECT_EQ(run({"--timeout", "0", "health"}).exit_code, 2);
}

// Boost's own message for this argument never finishes (common/option_errors.h).
TEST_F(P11signTest, AnArgumentHoldingAParserPlaceholderIsAUsageError) {
  const RunResult r = run({"--%canonical_option%", "health"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("invalid argument '--%canonical_option%'"), std::string::npos) << r.err;
}

TEST_F(P11signTest, AnEmptySocketIsAUsageErrorThatSaysSo) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"--socket", "", "health"}, {"--socket=", "health"}}) {
    const RunResult r = run_p11sign(args);
    EXPECT_EQ(r.exit_code, 2) << ::testing::PrintToString(args);
    EXPECT_THAT(r.err, HasSubstr("p11sign: --socket needs a PATH\n"))
        << ::testing::PrintToString(args);
  }
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--timeout", "", "health"}, {"--timeout=", "health"}}) {
    const RunResult r = run(args);
    EXPECT_EQ(r.exit_code, 2) << ::testing::PrintToString(args);
    EXPECT_THAT(r.err, HasSubstr("option '--timeout' is invalid")) << r.err;
  }
  EXPECT_THAT(daemon_.requests(), IsEmpty());
}

// The command and its arguments are words, not options: --command and --args do not exist.
TEST_F(P11signTest, TheCommandCannotBeGivenAsAnOption) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--command", "health"}, {"--command=health"}, {"--args", "x", "keys"}}) {
    const RunResult r = run(args);
    EXPECT_EQ(r.exit_code, 2) << ::testing::PrintToString(args);
    EXPECT_THAT(r.err, HasSubstr("unrecognised option '--")) << r.err;
  }
  EXPECT_THAT(daemon_.requests(), IsEmpty());
}

TEST_F(P11signTest, KeysKeepsTheDaemonsFieldOrder) {
  daemon_.respond({200, R"({"keys":[{"name":"demo","label":"demo","bits":2048}]})"});
  const RunResult r = run({"keys"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out,
              HasSubstr("\"name\": \"demo\",\n      \"label\": \"demo\",\n      \"bits\": 2048"));
}

TEST_F(P11signTest, PublicKeyPemIsPrintedAsSent) {
  const std::string pem = "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n";
  daemon_.respond({200, pem, "application/x-pem-file"});
  const RunResult r = run({"public-key", "demo"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, pem);
  EXPECT_EQ(daemon_.only_request().target, "/v1/keys/demo/public-key?format=pem");
}

TEST_F(P11signTest, PublicKeyJwk) {
  daemon_.respond({200, R"({"kty":"RSA","n":"AQAB","e":"AQAB"})"});
  const RunResult r = run({"public-key", "demo", "--format", "jwk"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\"kty\": \"RSA\""));
  EXPECT_EQ(daemon_.only_request().target, "/v1/keys/demo/public-key?format=jwk");
}

TEST_F(P11signTest, PublicKeyDerBase64FromAJsonAnswer) {
  daemon_.respond({200, R"({"public_key":"MIIBIjAN"})"});
  const RunResult r = run({"public-key", "demo", "--format=der-base64"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "MIIBIjAN\n");
}

TEST_F(P11signTest, UnknownFormatIsAUsageErrorAndSendsNothing) {
  const RunResult r = run({"public-key", "demo", "--format", "ssh"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--format must be pem, der-base64 or jwk"));
  EXPECT_THAT(r.err, HasSubstr("usage: p11sign [--socket PATH] public-key NAME"));
  EXPECT_THAT(daemon_.requests(), IsEmpty());
}

TEST_F(P11signTest, MissingCertificateShowsTheDaemonsErrorAndHowToMakeOne) {
  daemon_.respond({404, R"({"error":{"code":"certificate_not_found",)"
                        R"("message":"no certificate is stored beside key 'demo'"}})"});
  const RunResult r = run({"certificate", "demo"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "p11sign: 404 certificate_not_found: no certificate is stored beside key 'demo'\n"
            "p11sign: an admin makes a self-signed one with `p11sign certificate demo --self-sign "
            "--subject \"CN=...\"`, or a request for a CA with `p11sign csr demo --subject "
            "\"CN=...\"`\n");
  EXPECT_EQ(daemon_.only_request().target, "/v1/keys/demo/certificate");
  daemon_.respond({404, R"({"error":{"code":"key_not_found","message":"no key 'demo'"}})"});
  EXPECT_EQ(run({"certificate", "demo"}).err, "p11sign: 404 key_not_found: no key 'demo'\n");
}

TEST_F(P11signTest, SignReadsRawBytesFromStdin) {
  daemon_.respond({200, R"({"signature":"c2lnbmF0dXJl","key":"demo","alg":"RSA-SHA256"})"});
  const std::string data("hello\0world\n\xff", 13);
  const RunResult r = run({"sign", "demo"}, with_stdin(data));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "c2lnbmF0dXJl\n");
  const RecordedRequest req = daemon_.only_request();
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.target, "/v1/keys/demo/sign");
  EXPECT_EQ(req.content_type, "application/json");
  const auto body = nlohmann::json::parse(req.body);
  EXPECT_FALSE(body.contains("alg")) << "the daemon picks the key's own algorithm";
  EXPECT_EQ(body["data"], base64_encode(as_bytes(data)));
}

TEST_F(P11signTest, SignReadsAFileWithTheChosenAlgorithm) {
  daemon_.respond({200, R"({"signature":"AAAA"})"});
  const std::string path = write_file("msg.bin", "abc");
  const RunResult r = run({"sign", "demo", "--in", path, "--alg", "RSA-PSS-SHA256"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto body = nlohmann::json::parse(daemon_.only_request().body);
  EXPECT_EQ(body["alg"], "RSA-PSS-SHA256");
  EXPECT_EQ(body["data"], "YWJj");
}

TEST_F(P11signTest, SignSendsAnEcAlgorithmAndTheSignatureFormat) {
  daemon_.respond({200, R"({"signature":"AAAA"})"});
  const RunResult r =
      run({"sign", "demo-ec", "--alg", "ECDSA-SHA256", "--format", "der"}, with_stdin("abc"));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto body = nlohmann::json::parse(daemon_.only_request().body);
  EXPECT_EQ(body["alg"], "ECDSA-SHA256");
  EXPECT_EQ(body["format"], "der");
  const RunResult bad = run({"sign", "demo-ec", "--format", "asn1"}, with_stdin("abc"));
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("--format: raw or der (for ECDSA), not 'asn1'"));
}

TEST_F(P11signTest, SignWithDashReadsStdin) {
  daemon_.respond({200, R"({"signature":"AAAA"})"});
  const RunResult r = run({"sign", "demo", "--in", "-"}, with_stdin("abc"));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(daemon_.only_request().body)["data"], "YWJj");
}

TEST_F(P11signTest, RefusedSignExitsOneWithTheDaemonsMessage) {
  daemon_.respond(
      {403,
       R"({"error":{"code":"forbidden","message":"key 'demo' is not allowed for uid 1000"}})"});
  const RunResult r = run({"sign", "demo"}, with_stdin("x"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "p11sign: 403 forbidden: key 'demo' is not allowed for uid 1000\n");
  EXPECT_THAT(r.out, IsEmpty());
}

TEST_F(P11signTest, ErrorWithoutTheJsonShapeShowsTheStatusLine) {
  daemon_.respond({502, "upstream broke\nmore", "text/plain"});
  const RunResult r = run({"sign", "demo"}, with_stdin("x"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "p11sign: 502 Bad Gateway: upstream broke\n");
}

TEST_F(P11signTest, UnreadableInputFileIsAFailure) {
  const RunResult r = run({"sign", "demo", "--in", daemon_.dir() + "/missing"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("missing: No such file or directory"));
  EXPECT_THAT(daemon_.requests(), IsEmpty());
}

TEST_F(P11signTest, InputThatIsADirectoryIsNamed) {
  const RunResult r = run({"sign", "demo", "--in", daemon_.dir()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "p11sign: " + daemon_.dir() + ": is a directory\n");
  EXPECT_THAT(daemon_.requests(), IsEmpty());
}

TEST_F(P11signTest, AnEmptyInputNameIsAUsageError) {
  const RunResult r = run({"sign", "demo", "--in", ""});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("p11sign: --in needs a file name\n"));
  EXPECT_THAT(r.err, HasSubstr("usage: p11sign [--socket PATH] sign NAME"));
  EXPECT_THAT(daemon_.requests(), IsEmpty());
}

TEST_F(P11signTest, KeyNamesArePercentEncodedInThePath) {
  daemon_.respond({200, R"({"signature":"AAAA"})"});
  EXPECT_EQ(run({"sign", "a b/c"}, with_stdin("x")).exit_code, 0);
  EXPECT_EQ(daemon_.only_request().target, "/v1/keys/a%20b%2Fc/sign");
}

TEST_F(P11signTest, VerifySendsDataAndSignature) {
  daemon_.respond({200, R"({"valid":true})"});
  const RunResult r = run({"verify", "demo", "--signature", "c2ln"}, with_stdin("abc"));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const RecordedRequest req = daemon_.only_request();
  EXPECT_EQ(req.target, "/v1/keys/demo/verify");
  EXPECT_EQ(nlohmann::json::parse(req.body),
            nlohmann::json({{"data", "YWJj"}, {"signature", "c2ln"}}));
}

TEST_F(P11signTest, SchemeSignSendsTheInputByteForByte) {
  // Field order is part of a myPOS signature: the client must not re-serialise (and so reorder) the
  // input.
  const std::string input = R"({"key":"store1","fields":{"Zeta":"1","Alpha":"2"}})";
  daemon_.respond({200, R"({"signature":"AAAA","form":"Zeta=1&Alpha=2&Signature=AAAA"})"});
  const RunResult r = run({"scheme", "mypos", "sign"}, with_stdin(input));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const RecordedRequest req = daemon_.only_request();
  EXPECT_EQ(req.target, "/v1/schemes/mypos/sign");
  EXPECT_EQ(req.body, input);
  EXPECT_EQ(r.out,
            "{\n  \"signature\": \"AAAA\",\n  \"form\": \"Zeta=1&Alpha=2&Signature=AAAA\"\n}\n");
}

TEST_F(P11signTest, SchemeReadsAJsonFile) {
  const std::string path = write_file("in.json", R"({"key":"k","param":"x"})");
  EXPECT_EQ(run({"scheme", "swifood", "sign", "--in", path}).exit_code, 0);
  EXPECT_EQ(daemon_.only_request().body, R"({"key":"k","param":"x"})");
}

TEST_F(P11signTest, SchemeVerifyInvalidExitsOne) {
  daemon_.respond({200, R"({"valid":false,"reason":"signature mismatch"})"});
  const RunResult r = run({"scheme", "carat", "verify"}, with_stdin(R"({"peer":"p","jwt":"x"})"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.out, HasSubstr("\"valid\": false"));
  EXPECT_EQ(r.err, "p11sign: signature is not valid: signature mismatch\n");
  EXPECT_EQ(daemon_.only_request().target, "/v1/schemes/carat/verify");
}

TEST_F(P11signTest, SchemeVerifyValidExitsZero) {
  daemon_.respond({200, R"({"valid":true})"});
  EXPECT_EQ(run({"scheme", "carat", "verify"}, with_stdin("{}")).exit_code, 0);
}

// Where the JSON goes wrong, by line and column.
TEST_F(P11signTest, SchemeInputThatIsNotJsonIsNotSent) {
  const RunResult r = run({"scheme", "mypos", "sign"}, with_stdin("{\"key\": \"k\",\n not json"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("p11sign: standard input: not valid JSON: line 2, column 3: "));
  const RunResult empty = run({"scheme", "mypos", "sign"});
  EXPECT_EQ(empty.exit_code, 1);
  EXPECT_THAT(empty.err, HasSubstr("p11sign: standard input: empty; the scheme's JSON input"));
  const std::string path = write_file("bad.json", "[1,]");
  const RunResult file = run({"scheme", "mypos", "sign", "--in", path});
  EXPECT_THAT(file.err, HasSubstr("p11sign: " + path + ": not valid JSON: line 1, column 4: "));
  EXPECT_THAT(daemon_.requests(), IsEmpty());
}

// An action other than sign and verify is checked against the daemon's list before any input is
// read: a typo is a usage error naming the action, not "not valid JSON" after a silent wait.
TEST_F(P11signTest, AnUnknownSchemeActionIsNamedAsSuch) {
  daemon_.respond_with([](const RecordedRequest& req) -> CannedResponse {
    if (req.target == "/v1/schemes") {
      return {200, R"({"schemes":[{"name":"amazonpay","actions":{"button-signature":{}}},)"
                   R"({"name":"mypos","sign":{}}]})"};
    }
    return {200, R"({"signature":"AAAA"})"};
  });
  RunResult r = run({"scheme", "mypos", "frobnicate"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err,
              HasSubstr("p11sign: scheme mypos has no action 'frobnicate'; its actions are sign, "
                        "verify\nusage: p11sign [--socket PATH] scheme SCHEME"));
  r = run({"scheme", "amazonpay", "button-signatur"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("no action 'button-signatur' (did you mean 'button-signature'?); "
                               "its actions are sign, verify, button-signature"));
  r = run({"scheme", "amazon-pay", "button-signature"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("p11sign: the daemon has no scheme 'amazon-pay' (did you mean "
                               "'amazonpay'?); its schemes are amazonpay, mypos"));
  for (const RecordedRequest& req : daemon_.requests()) EXPECT_EQ(req.target, "/v1/schemes");
  r = run({"scheme", "amazonpay", "button-signature"}, with_stdin(R"({"key":"k"})"));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(daemon_.requests().back().target, "/v1/schemes/amazonpay/button-signature");
}

// Typed by hand, the command would otherwise wait silently: it says what it reads and how to end.
TEST_F(P11signTest, ACommandReadingATerminalSaysSo) {
  daemon_.respond({200, R"({"signature":"AAAA"})"});
  RunOptions terminal = with_stdin("abc\n\x04");
  terminal.stdin_terminal = true;
  RunResult r = run({"sign", "demo"}, terminal);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err,
            "p11sign: reading the data to sign from standard input (end with Ctrl-D); or pass --in "
            "FILE\n");
  EXPECT_EQ(nlohmann::json::parse(daemon_.only_request().body)["data"], "YWJjCg==");
  terminal.stdin_data = "{}\n\x04";
  r = run({"scheme", "mypos", "sign"}, terminal);
  EXPECT_THAT(r.err, HasSubstr("p11sign: reading the JSON input from standard input"));
  // From a pipe or a file: nothing to say.
  r = run({"sign", "demo"}, with_stdin("abc"));
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.err, IsEmpty());
}

TEST_F(P11signTest, GlobalOptionsMayFollowTheCommand) {
  daemon_.respond({200, R"({"signature":"AAAA"})"});
  const std::string socket = daemon_.socket_path();
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"keys", "--socket", socket},
           {"sign", "demo", "--socket=" + socket, "--alg", "RSA-PSS-SHA256"},
           {"--timeout", "5", "sign", "--socket", socket, "demo"}}) {
    const RunResult r = run_p11sign(args, with_stdin("x"));
    EXPECT_EQ(r.exit_code, 0) << ::testing::PrintToString(args) << r.err;
  }
  EXPECT_THAT(daemon_.requests(), SizeIs(3));
  RunResult r = run_p11sign({"keys", "--socket"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("'--socket' is missing"));
  r = run_p11sign({"keys", "--socket", ""});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("p11sign: --socket needs a PATH"));
  r = run({"health", "--timeout", "0"});
  EXPECT_EQ(r.exit_code, 2);
  r = run({"--timeout", "5", "health", "--timeout=9"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("'--timeout' cannot be specified more than once"));
  EXPECT_THAT(daemon_.requests(), SizeIs(3));
}

// The daemon would refuse these too, but only after the input was read and a request made.
TEST_F(P11signTest, ABadAlgorithmIsAUsageErrorBeforeAnyRequest) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"sign", "demo", "--alg", "RSA-PSS"},
           {"verify", "demo", "--signature", "c2ln", "--alg", "rsa-sha256"},
           {"bench", "demo", "--alg", "ES256"}}) {
    const RunResult r = run(args, with_stdin("x"));
    EXPECT_EQ(r.exit_code, 2) << ::testing::PrintToString(args);
    EXPECT_THAT(r.err, HasSubstr("p11sign: --alg: RSA-SHA256, RSA-PSS-SHA256, RSA-PSS-SHA512, "
                                 "ECDSA-SHA256, ECDSA-SHA384 or Ed25519, not '"));
    EXPECT_THAT(r.err, HasSubstr("usage: p11sign [--socket PATH] " + args[0]));
  }
  EXPECT_THAT(daemon_.requests(), IsEmpty());
}

TEST_F(P11signTest, SchemeWithoutActionIsAUsageError) {
  const RunResult r = run({"scheme", "mypos"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("missing ACTION"));
  EXPECT_THAT(r.err, HasSubstr("usage: p11sign [--socket PATH] scheme SCHEME sign|verify"));
}

TEST_F(P11signTest, UsageErrors) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{},
                                             {"frobnicate"},
                                             {"--nope", "keys"},
                                             {"sign"},
                                             {"sign", "demo", "--bogus"},
                                             {"keys", "extra"},
                                             {"public-key"}}) {
    const RunResult r = run(args);
    EXPECT_EQ(r.exit_code, 2) << ::testing::PrintToString(args);
    EXPECT_THAT(r.err, HasSubstr("usage: p11sign")) << ::testing::PrintToString(args);
  }
  EXPECT_THAT(daemon_.requests(), IsEmpty());
}

TEST_F(P11signTest, AMisspeltCommandOrOptionGetsTheNearest) {
  RunResult r = run({"keyss"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("p11sign: unknown command 'keyss' (did you mean 'keys'?)\n"));
  r = run({"verify", "demo", "--sigature", "c2ln"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("'--sigature' (did you mean '--signature'?)\n"));
  r = run({"frobnicate"});
  EXPECT_THAT(r.err, HasSubstr("p11sign: unknown command 'frobnicate'\n"));
  EXPECT_THAT(daemon_.requests(), IsEmpty());
}

TEST_F(P11signTest, HelpListsEveryCommand) {
  const RunResult r = run_p11sign({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* command : {"health", "keys", "public-key", "certificate", "sign", "scheme",
                              "keygen", "import", "csr", "key", "bench"}) {
    EXPECT_THAT(r.out, HasSubstr("\n  " + std::string(command))) << command;
  }
  const RunResult sign_help = run_p11sign({"sign", "--help"});
  EXPECT_EQ(sign_help.exit_code, 0);
  EXPECT_THAT(sign_help.out, HasSubstr("usage: p11sign [--socket PATH] sign NAME"));
}

}  // namespace
}  // namespace p11signd::cli::testing
