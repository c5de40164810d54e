#include "common/audit_verify.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <memory>
#include <sstream>

#include "common/digest.h"
#include "common/encoding.h"
#include "common/openssl_ptr.h"
#include "common/public_key.h"

namespace p11signd::audit {
namespace {

EvpPkeyPtr generate() { return EvpPkeyPtr(EVP_RSA_gen(2048)); }

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

// Writes a log as the daemon does: records chained with chain_line(), checkpoints signed by key.
class LogWriter {
 public:
  explicit LogWriter(EVP_PKEY* key = nullptr, ChainHead head = {}) : key_(key), head_(head) {}

  void record(const std::string& result = "ok") {
    append(nlohmann::ordered_json{{"time", "t"}, {"op", "sign"}, {"result", result}}.dump());
  }
  void records(int n) {
    for (int i = 0; i < n; ++i) record("ok " + std::to_string(i));
  }
  void checkpoint() {
    nlohmann::ordered_json j{{"time", "t"},
                             {"op", kCheckpointOp},
                             {"covers_seq", head_.seq},
                             {"covers_sha256", head_.sha256}};
    if (key_ != nullptr) {
      j["alg"] = "RSA-SHA256";
      j["public_key"] = base64_encode(spki_der(key_));
      j["signature"] = base64_encode(sign(key_, checkpoint_message(head_.seq, head_.sha256)));
    }
    append(j.dump());
  }
  // Starts a new file, as a reopen after rotation does; the chain goes on.
  void rotate() { lines_.clear(); }

  std::vector<std::string>& lines() { return lines_; }
  std::string text() const {
    std::string out;
    for (const auto& l : lines_) out += l + "\n";
    return out;
  }
  const ChainHead& head() const { return head_; }

 private:
  void append(const std::string& body) {
    lines_.push_back(chain_line(body, head_));
    head_ = head_after(lines_.back(), head_.seq + 1);
  }

  EVP_PKEY* key_;
  ChainHead head_;
  std::vector<std::string> lines_;
};

VerifyReport verify(const std::vector<std::string>& texts, std::optional<Bytes> key = {}) {
  AuditVerifier v(VerifyOptions{std::move(key)});
  for (std::size_t i = 0; i < texts.size(); ++i) {
    std::istringstream in(texts[i]);
    v.add_file("log" + std::to_string(i + 1), in);
  }
  return v.finish();
}

std::string problem_of(const VerifyReport& r) { return r.problem.value_or("(verified)"); }

// Re-chains lines from index `from` on, as someone who edits a line and recomputes the hashes.
void rechain(std::vector<std::string>& lines, std::size_t from) {
  for (std::size_t i = from; i < lines.size(); ++i) {
    auto j = nlohmann::ordered_json::parse(lines[i]);
    j.erase("seq");
    j.erase("prev");
    const ChainHead before =
        i == 0 ? ChainHead{} : head_after(lines[i - 1], static_cast<std::uint64_t>(i));
    lines[i] = chain_line(j.dump(), before);
  }
}

class AuditVerify : public ::testing::Test {
 protected:
  EvpPkeyPtr key_ = generate();
  Bytes spki_ = spki_der(key_.get());
};

TEST_F(AuditVerify, AnIntactLogVerifiesAndSaysWhatIsNotCovered) {
  LogWriter log(key_.get());
  log.records(5);
  log.checkpoint();
  log.records(3);
  const auto r = verify({log.text()}, spki_);
  EXPECT_TRUE(r.ok()) << problem_of(r);
  EXPECT_EQ(r.records, 9u);
  EXPECT_EQ(r.signed_checkpoints, 1u);
  EXPECT_EQ(r.uncovered, 4u);  // the checkpoint line itself and the 3 after it
  ASSERT_FALSE(r.notes.empty());
  EXPECT_NE(r.notes.back().find("after log1:5"), std::string::npos) << r.notes.back();
}

TEST_F(AuditVerify, AChangedLineIsNamed) {
  LogWriter log(key_.get());
  log.records(6);
  log.checkpoint();
  auto& lines = log.lines();
  lines[2].replace(lines[2].find("ok 2"), 4, "ok 9");
  const auto r = verify({log.text()}, spki_);
  EXPECT_EQ(problem_of(r),
            "log1:3 was changed: its SHA-256 is not the one the next record "
            "(log1:4) holds for it");
}

// The record a checkpoint covers is the last one before it: the checkpoint's own link finds it.
TEST_F(AuditVerify, TheRecordACheckpointCoversChangedIsNamed) {
  LogWriter log(key_.get());
  log.records(3);
  log.checkpoint();
  auto& lines = log.lines();
  lines[2].replace(lines[2].find("\"time\":\"t\""), 10, "\"time\":\"u\"");
  EXPECT_EQ(problem_of(verify({log.text()}, spki_)),
            "log1:3 was changed: its SHA-256 is not the one the next record (log1:4) holds for it");
}

TEST_F(AuditVerify, ARemovedLineIsNamed) {
  LogWriter log(key_.get());
  log.records(6);
  log.lines().erase(log.lines().begin() + 2);
  EXPECT_EQ(problem_of(verify({log.text()}, spki_)),
            "records seq 3 are missing before log1:3 (removed)");
}

TEST_F(AuditVerify, ReorderedLinesAreNamed) {
  LogWriter log(key_.get());
  log.records(6);
  std::swap(log.lines()[2], log.lines()[3]);
  EXPECT_EQ(problem_of(verify({log.text()}, spki_)),
            "log1:3 is out of order: the record seq 3 that belongs there is at log1:4 (records "
            "reordered)");
}

TEST_F(AuditVerify, ALineCutShortIsNamed) {
  LogWriter log(key_.get());
  log.records(4);
  std::string text = log.text();
  text.resize(text.size() - 10);
  EXPECT_EQ(problem_of(verify({text}, spki_)),
            "log1:4 is cut short: the file does not end with a newline (truncated, or a write "
            "was interrupted)");
}

// The daemon keeps the chain's head in memory: the first line it writes after a cut does not link
// to what the file now ends with.
TEST_F(AuditVerify, LinesCutBeforeTheDaemonWritesAgainAreFound) {
  LogWriter log(key_.get());
  log.records(6);
  log.lines().resize(4);
  log.record("after the cut");
  EXPECT_EQ(problem_of(verify({log.text()}, spki_)),
            "records seq 5..6 are missing before log1:5 (removed)");
}

TEST_F(AuditVerify, RotatedFilesVerifyInOrderAndEachAloneFromItsLink) {
  LogWriter log(key_.get());
  log.records(4);
  const std::string first = log.text();
  log.rotate();
  log.records(2);
  log.checkpoint();
  const std::string second = log.text();
  const auto both = verify({first, second}, spki_);
  EXPECT_TRUE(both.ok()) << problem_of(both);
  EXPECT_EQ(both.uncovered, 1u);  // the checkpoint covers the old file's lines too
  const auto alone = verify({second}, spki_);
  EXPECT_TRUE(alone.ok()) << problem_of(alone);
  EXPECT_NE(alone.notes.front().find("log1:1 (seq 5) follows a record not in the files given"),
            std::string::npos);
  EXPECT_FALSE(verify({second, first}, spki_).ok());
}

TEST_F(AuditVerify, TheEndOfARotatedFileCutIsFoundByTheNextFile) {
  LogWriter log(key_.get());
  log.records(4);
  log.lines().pop_back();
  const std::string first = log.text();
  log.rotate();
  log.records(2);
  EXPECT_EQ(problem_of(verify({first, log.text()}, spki_)),
            "records seq 4 are missing before log2:1 (removed)");
}

TEST_F(AuditVerify, ANewChainInTheMiddleIsFound) {
  LogWriter log(key_.get());
  log.records(3);
  LogWriter fresh(key_.get());
  fresh.records(2);
  EXPECT_NE(problem_of(verify({log.text(), fresh.text()}, spki_))
                .find("log2:1 starts a new chain instead of following log1:3"),
            std::string::npos);
}

// Someone who can write the file recomputes every hash after the line they changed: the chain
// holds, the signed checkpoint does not.
TEST_F(AuditVerify, ARecomputedChainIsFoundByTheSignedCheckpoint) {
  LogWriter log(key_.get());
  log.records(3);
  log.checkpoint();
  log.records(5);
  log.checkpoint();
  auto& lines = log.lines();
  lines[6].replace(lines[6].find("ok 2"), 4, "ok 7");  // seq 7, between the two checkpoints
  rechain(lines, 6);
  EXPECT_EQ(problem_of(verify({log.text()}, spki_)),
            "the checkpoint at log1:10 signed another record than log1:9: a line from log1:4 to "
            "log1:9 was changed, removed or added, and the chain recomputed");
}

TEST_F(AuditVerify, ACheckpointResignedWithAnotherKeyFailsOnlyAgainstTheAuditKey) {
  const EvpPkeyPtr other = generate();
  LogWriter forged(other.get());
  forged.records(4);
  forged.checkpoint();
  const auto with_key = verify({forged.text()}, spki_);
  EXPECT_EQ(problem_of(with_key),
            "log1:5: the checkpoint's signature does not verify with the public key given: forged, "
            "or changed");
  const auto without = verify({forged.text()});
  EXPECT_TRUE(without.ok());
  EXPECT_NE(without.notes.front().find(sha256_hex(spki_der(other.get()))), std::string::npos);
}

TEST_F(AuditVerify, AChangedSignatureIsFound) {
  LogWriter log(key_.get());
  log.records(2);
  log.checkpoint();
  auto j = nlohmann::ordered_json::parse(log.lines()[2]);
  j["covers_seq"] = 1;  // the signature was made for seq 2
  j.erase("seq");
  j.erase("prev");
  log.lines()[2] = chain_line(j.dump(), head_after(log.lines()[1], 2));
  EXPECT_NE(problem_of(verify({log.text()}, spki_)).find("signed another record"),
            std::string::npos);
}

// What the documentation says verify cannot see: without a signed checkpoint a rewrite that
// recomputes the chain, and, with one, lines cut after the last checkpoint.
TEST_F(AuditVerify, KnownLimits) {
  LogWriter unsigned_log;
  unsigned_log.records(4);
  unsigned_log.checkpoint();
  auto& lines = unsigned_log.lines();
  lines[1].replace(lines[1].find("ok 1"), 4, "ok 8");
  rechain(lines, 1);
  const auto rewritten = verify({unsigned_log.text()});
  EXPECT_TRUE(rewritten.ok());
  EXPECT_EQ(rewritten.unsigned_checkpoints, 1u);
  EXPECT_NE(rewritten.notes.front().find("no signed checkpoint"), std::string::npos);

  LogWriter log(key_.get());
  log.records(3);
  log.checkpoint();
  log.records(3);
  log.lines().resize(5);
  const auto cut = verify({log.text()}, spki_);
  EXPECT_TRUE(cut.ok());
  EXPECT_EQ(cut.uncovered, 2u);
}

TEST_F(AuditVerify, LinesThatAreNotChainedRecordsAreNamed) {
  LogWriter log(key_.get());
  log.records(2);
  EXPECT_EQ(problem_of(verify({log.text() + "{\"op\":\"sign\"}\n"})),
            "log1:3 has no chain fields (seq, prev): changed, or not a p11signd audit line");
  EXPECT_EQ(problem_of(verify({log.text() + "not json\n"})),
            "log1:3 is not a JSON record: changed, or cut");
}

}  // namespace
}  // namespace p11signd::audit
