// `p11sign audit verify`, run as the real binary on logs written with the daemon's chain format.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/testing/run_p11sign.h"
#include "common/audit_chain.h"
#include "common/encoding.h"
#include "common/openssl_ptr.h"
#include "common/public_key.h"

namespace p11signd::cli::testing {
namespace {

using ::testing::HasSubstr;

Bytes sign(EVP_PKEY* key, std::string_view message) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EXPECT_EQ(EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key), 1);
  Bytes sig(512);
  size_t len = sig.size();
  const ByteView data = as_bytes(message);
  EXPECT_EQ(EVP_DigestSign(ctx.get(), sig.data(), &len, data.data(), data.size()), 1);
  sig.resize(len);
  return sig;
}

class AuditVerifyCommand : public ::testing::Test {
 protected:
  AuditVerifyCommand() {
    char tmpl[] = "/tmp/p11sign-audit-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  ~AuditVerifyCommand() override { std::filesystem::remove_all(dir_); }

  // Four records and a checkpoint signed by key_, one line each.
  std::vector<std::string> signed_log() {
    std::vector<std::string> lines;
    audit::ChainHead head;
    const auto append = [&](const nlohmann::ordered_json& body) {
      lines.push_back(audit::chain_line(body.dump(), head));
      head = audit::head_after(lines.back(), head.seq + 1);
    };
    for (int i = 0; i < 4; ++i) append({{"op", "sign"}, {"result", "ok " + std::to_string(i)}});
    append({{"op", "audit-checkpoint"},
            {"covers_seq", head.seq},
            {"covers_sha256", head.sha256},
            {"alg", "RSA-SHA256"},
            {"public_key", base64_encode(spki_der(key_.get()))},
            {"signature",
             base64_encode(sign(key_.get(), audit::checkpoint_message(head.seq, head.sha256)))}});
    return lines;
  }
  std::string write(const std::string& name, const std::vector<std::string>& lines) {
    const std::string path = dir_ + "/" + name;
    std::ofstream out(path);
    for (const auto& l : lines) out << l << '\n';
    return path;
  }
  std::string public_key_file() {
    const std::string path = dir_ + "/audit.pem";
    std::ofstream(path) << spki_pem(spki_der(key_.get()));
    return path;
  }

  std::string dir_;
  EvpPkeyPtr key_{EVP_RSA_gen(2048)};
};

TEST_F(AuditVerifyCommand, AnIntactLogVerifies) {
  const auto log = write("audit.log", signed_log());
  const RunResult r = run_p11sign({"audit", "verify", log, "--public-key", public_key_file()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("verified: 5 record(s) in 1 file(s), 1 signed checkpoint(s)"));
}

TEST_F(AuditVerifyCommand, AnEditedLineIsNamedAndTheStatusIsOne) {
  auto lines = signed_log();
  lines[1].replace(lines[1].find("ok 1"), 4, "ok 7");
  const auto log = write("audit.log", lines);
  const RunResult r = run_p11sign({"audit", "verify", log, "--public-key", public_key_file()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("the audit log does not verify: " + log + ":2 was changed"));
}

TEST_F(AuditVerifyCommand, SeveralFilesAreOneChain) {
  auto lines = signed_log();
  const auto first = write("audit.log.1", {lines.begin(), lines.begin() + 2});
  const auto second = write("audit.log", {lines.begin() + 2, lines.end()});
  EXPECT_EQ(run_p11sign({"audit", "verify", first, second}).exit_code, 0);
  const RunResult swapped = run_p11sign({"audit", "verify", second, first});
  EXPECT_EQ(swapped.exit_code, 1);
  EXPECT_THAT(swapped.err, HasSubstr("audit.log.1:1 starts a new chain instead of following"));
}

TEST_F(AuditVerifyCommand, BadUseIsAUsageError) {
  EXPECT_EQ(run_p11sign({"audit"}).exit_code, 2);
  EXPECT_EQ(run_p11sign({"audit", "check", "x"}).exit_code, 2);
  EXPECT_EQ(run_p11sign({"audit", "verify"}).exit_code, 2);
  const RunResult missing = run_p11sign({"audit", "verify", dir_ + "/none.log"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("none.log: cannot open"));
  const auto log = write("audit.log", signed_log());
  const RunResult bad_key = run_p11sign({"audit", "verify", log, "--public-key", log});
  EXPECT_EQ(bad_key.exit_code, 1);
  EXPECT_THAT(bad_key.err, HasSubstr("not a PEM public key"));
}

}  // namespace
}  // namespace p11signd::cli::testing
