// The audit log's hash chain and checkpoints as the daemon writes them, checked with the verifier
// `p11sign audit verify` uses.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "common/audit_verify.h"
#include "daemon/observability/audit.h"
#include "daemon/observability/audit_checkpoints.h"
#include "daemon/testing/fake_keystore.h"
#include "daemon/testing/test_support.h"

namespace p11signd::daemon {
namespace {

using audit::VerifyReport;

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

void write_lines(const std::string& path, const std::vector<std::string>& lines) {
  std::ofstream out(path, std::ios::trunc);
  for (const auto& l : lines) out << l << '\n';
}

AuditRecord record(const std::string& result) {
  AuditRecord r;
  r.op = "sign";
  r.key = "k";
  r.result = result;
  return r;
}

void write_records(AuditLog& log, int n, const std::string& prefix = "ok") {
  for (int i = 0; i < n; ++i) ASSERT_TRUE(log.write(record(prefix + " " + std::to_string(i))));
}

VerifyReport verify(const std::vector<std::string>& paths, std::optional<Bytes> key = {}) {
  return audit::verify_audit_files(paths, audit::VerifyOptions{std::move(key)});
}

std::string problem_of(const VerifyReport& r) { return r.problem.value_or("(verified)"); }

TEST(AuditChain, EveryLineLinksToTheOneBefore) {
  testing::TempDir dir;
  const auto path = dir.file("audit.log");
  AuditLog log(path);
  write_records(log, 3);
  const auto lines = lines_of(path);
  ASSERT_EQ(lines.size(), 3u);
  const auto first = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(first["seq"], 1);
  EXPECT_EQ(first["prev"], std::string(audit::kChainStart));
  EXPECT_EQ(nlohmann::json::parse(lines[2])["seq"], 3);
  EXPECT_TRUE(verify({path}).ok()) << problem_of(verify({path}));
  EXPECT_EQ(log.position().records, 3u);
}

// A process name of any bytes (prctl(PR_SET_NAME)), cut through a character, in every field: the
// line is written, it is JSON, and the bytes are escaped as \xNN.
TEST(AuditChain, WriteNeverThrowsAndEscapesWhateverTheRecordHolds) {
  testing::TempDir dir;
  const auto path = dir.file("audit.log");
  AuditLog log(path);
  Peer peer;
  peer.comm =
      "\xff\xfe"
      "name\xe2\x82";
  peer.exe = "/tmp/\xc0\xaf";
  AuditRecord r;
  r.op = "sign\x80";
  r.peer = &peer;
  r.key = "\xed\xa0\x80";
  r.scheme = "\xf5";
  r.alg = "\xc3";
  r.data_sha256 = "\xfe";
  r.result = "error: key '\xff' unknown";
  bool written = false;
  EXPECT_NO_THROW(written = log.write(r));
  EXPECT_TRUE(written);
  const auto lines = lines_of(path);
  ASSERT_EQ(lines.size(), 1u);
  const auto j = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(j["peer"]["comm"], "\\xff\\xfename\\xe2\\x82");
  EXPECT_EQ(j["peer"]["exe"], "/tmp/\\xc0\\xaf");
  EXPECT_EQ(j["key"], "\\xed\\xa0\\x80");
  EXPECT_EQ(j["result"], "error: key '\\xff' unknown");
  EXPECT_TRUE(log.healthy());
}

TEST(AuditChain, ARestartedDaemonContinuesTheFilesChain) {
  testing::TempDir dir;
  const auto path = dir.file("audit.log");
  {
    AuditLog log(path);
    write_records(log, 2);
  }
  AuditLog again(path);
  write_records(again, 2);
  EXPECT_EQ(nlohmann::json::parse(lines_of(path)[2])["seq"], 3);
  EXPECT_TRUE(verify({path}).ok()) << problem_of(verify({path}));
}

TEST(AuditChain, ARotatedLogLinksTheNewFileToTheOld) {
  testing::TempDir dir;
  const auto path = dir.file("audit.log");
  AuditLog log(path);
  write_records(log, 2);
  std::filesystem::rename(path, path + ".1");
  ASSERT_TRUE(log.reopen());
  write_records(log, 2);
  EXPECT_TRUE(verify({path + ".1", path}).ok()) << problem_of(verify({path + ".1", path}));
  const auto alone = verify({path});
  EXPECT_TRUE(alone.ok()) << problem_of(alone);
  EXPECT_FALSE(verify({path, path + ".1"}).ok());
}

TEST(AuditChain, LinesCutFromTheLiveFileShowAtTheNextRecord) {
  testing::TempDir dir;
  const auto path = dir.file("audit.log");
  AuditLog log(path);
  write_records(log, 5);
  auto lines = lines_of(path);
  lines.resize(3);
  write_lines(path, lines);
  write_records(log, 1, "after");
  EXPECT_EQ(problem_of(verify({path})),
            "records seq 4..5 are missing before " + path + ":4 (removed)");
}

// A line cut short (a full disk, a crash in the middle of a write) stays a line of its own: the
// next record is still a record, and verify names the damaged line.
TEST(AuditChain, ALineCutShortDoesNotSwallowTheNextRecord) {
  testing::TempDir dir;
  const auto path = dir.file("audit.log");
  {
    AuditLog log(path);
    write_records(log, 2);
  }
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 5);
  AuditLog again(path);
  write_records(again, 1, "after");
  const auto lines = lines_of(path);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(nlohmann::json::parse(lines[2])["result"], "after 0");
  EXPECT_EQ(problem_of(verify({path})), path + ":2 is not a JSON record: changed, or cut");
}

class AuditCheckpointsTest : public ::testing::Test {
 protected:
  AuditCheckpointsTest() {
    store_.add_token_key("audit");
    store_.set_keys({KeySpec{"audit", "audit", "", false}});
  }
  Bytes audit_spki() const { return store_.key("audit")->spki_der; }

  testing::TempDir dir_;
  std::string path_ = dir_.file("audit.log");
  FakeKeyStore store_;
};

TEST_F(AuditCheckpointsTest, EveryNRecordsAndAtStopTheChainIsSignedByTheAuditKey) {
  AuditLog log(path_);
  {
    AuditCheckpoints checkpoints(log, {3, std::chrono::seconds(0)},
                                 store_checkpoint_signer(store_, "audit"));
    write_records(log, 7);
    ASSERT_TRUE(checkpoints.stop_within(std::chrono::seconds(30)));
  }
  const auto r = verify({path_}, audit_spki());
  EXPECT_TRUE(r.ok()) << problem_of(r);
  EXPECT_GE(r.signed_checkpoints, 1u);
  EXPECT_EQ(r.uncovered, 1u);  // only the last checkpoint's own line
  const auto last = nlohmann::json::parse(lines_of(path_).back());
  EXPECT_EQ(last["op"], "audit-checkpoint");
  EXPECT_EQ(last["key"], "audit");
  EXPECT_EQ(last["covers_seq"], last["seq"].get<int>() - 1);
}

TEST_F(AuditCheckpointsTest, ACheckpointIsWrittenAfterTheIntervalWithoutMoreRecords) {
  AuditLog log(path_);
  AuditCheckpoints checkpoints(log, {0, std::chrono::seconds(1)},
                               store_checkpoint_signer(store_, "audit"));
  write_records(log, 1);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (lines_of(path_).size() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const auto lines = lines_of(path_);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(lines[1])["op"], "audit-checkpoint");
  // Nothing new: no further checkpoint.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(lines_of(path_).size(), 2u);
}

TEST_F(AuditCheckpointsTest, AChainRecomputedAfterAnEditIsCaughtByTheSignature) {
  AuditLog log(path_);
  {
    AuditCheckpoints checkpoints(log, {0, std::chrono::seconds(0)},
                                 store_checkpoint_signer(store_, "audit"));
    write_records(log, 4);
  }
  auto lines = lines_of(path_);
  ASSERT_EQ(lines.size(), 5u);
  // Edit the second record and recompute every hash after it, as someone who can write the file
  // but not sign with the audit key would.
  lines[1].replace(lines[1].find("ok 1"), 4, "ok 9");
  for (std::size_t i = 1; i < lines.size(); ++i) {
    auto j = nlohmann::ordered_json::parse(lines[i]);
    j.erase("seq");
    j.erase("prev");
    lines[i] = audit::chain_line(j.dump(), audit::head_after(lines[i - 1], i));
  }
  write_lines(path_, lines);
  EXPECT_EQ(problem_of(verify({path_}, audit_spki())),
            "the checkpoint at " + path_ + ":5 signed another record than " + path_ +
                ":4: a line from " + path_ + ":1 to " + path_ +
                ":4 was changed, removed or added, and the chain recomputed");
  EXPECT_TRUE(verify({path_}).ok() == false);
}

TEST_F(AuditCheckpointsTest, WithoutAnAuditKeyCheckpointsAreUnsigned) {
  AuditLog log(path_);
  {
    AuditCheckpoints checkpoints(log, {2, std::chrono::seconds(0)}, nullptr);
    write_records(log, 2);
  }
  const auto r = verify({path_});
  EXPECT_TRUE(r.ok()) << problem_of(r);
  EXPECT_GE(r.unsigned_checkpoints, 1u);
  EXPECT_EQ(r.signed_checkpoints, 0u);
  EXPECT_EQ(nlohmann::json::parse(lines_of(path_).back())["unsigned"],
            "no [daemon] audit-key is configured");
}

TEST_F(AuditCheckpointsTest, ASigningFailureIsRecordedAndTheLogGoesOn) {
  AuditLog log(path_);
  store_.set_down(true);
  {
    AuditCheckpoints checkpoints(log, {0, std::chrono::seconds(0)},
                                 store_checkpoint_signer(store_, "audit"));
    write_records(log, 1);
  }
  const auto last = nlohmann::json::parse(lines_of(path_).back());
  EXPECT_EQ(last["op"], "audit-checkpoint");
  EXPECT_NE(last["error"].get<std::string>().find("cannot sign the checkpoint"), std::string::npos);
  EXPECT_TRUE(log.healthy());
  EXPECT_TRUE(verify({path_}).ok());
}

// A token call that hangs must not hang the daemon's stop: it is told, and exits without waiting.
TEST_F(AuditCheckpointsTest, StopGivesUpOnASignatureThatDoesNotCome) {
  AuditLog log(path_);
  store_.set_sign_delay(std::chrono::seconds(2));
  AuditCheckpoints checkpoints(log, {1, std::chrono::seconds(0)},
                               store_checkpoint_signer(store_, "audit"));
  write_records(log, 1);
  EXPECT_FALSE(checkpoints.stop_within(std::chrono::milliseconds(100)));
  // The destructor waits for the signature; the checkpoint is then written.
}

}  // namespace
}  // namespace p11signd::daemon
