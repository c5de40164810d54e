#pragma once
// Checks audit log files written with common/audit_chain.h's chain: `p11sign audit verify`. It
// finds the first line that was changed, removed, reordered or cut short, and says what the
// result cannot show: records after the last signed checkpoint can be cut or rewritten without a
// trace, and without the audit key's public key (or with no signed checkpoint at all) a log
// rewritten whole is indistinguishable from the real one.

#include <cstdint>
#include <istream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/audit_chain.h"
#include "common/bytes.h"

namespace p11signd::audit {

struct VerifyOptions {
  // The audit key's SubjectPublicKeyInfo (DER). Without it each checkpoint is checked against the
  // public key it carries, which proves nothing against someone who rewrote the log whole.
  std::optional<Bytes> public_key_spki;
};

struct VerifyReport {
  // The first problem, naming its line as FILE:LINE; empty when the files verify.
  std::optional<std::string> problem;
  std::vector<std::string> notes;  // what the result shows and does not show
  std::uint64_t records = 0;
  std::uint64_t signed_checkpoints = 0;
  std::uint64_t unsigned_checkpoints = 0;
  std::uint64_t uncovered = 0;  // records after the last one a signed checkpoint covers
  bool ok() const { return !problem; }
};

class AuditVerifier {
 public:
  explicit AuditVerifier(VerifyOptions options);
  // The files of one chain, oldest first. name is how lines are named in messages.
  void add_file(const std::string& name, std::istream& in);
  VerifyReport finish();

 private:
  struct Seen {
    std::string sha256;
    std::string where;
  };
  struct Missing {
    std::uint64_t from;
    std::uint64_t to;
    std::string where;
  };

  void add_line(const std::string& where, const std::string& line, bool complete);
  void check_link(const std::string& where, std::uint64_t seq, const std::string& prev);
  void check_checkpoint(const std::string& where, const nlohmann::json& record, std::uint64_t seq);
  bool signature_verifies(const std::string& where, const nlohmann::json& record);
  void look_for_missing(const std::string& where, const std::string& line);
  void fail(std::string problem);

  VerifyOptions options_;
  VerifyReport report_;
  std::optional<ChainHead> last_;  // the last record read
  std::string last_where_;
  std::optional<std::uint64_t> first_seq_;
  std::uint64_t covered_seq_ = 0;  // the highest seq a verified signed checkpoint covers
  std::string covered_where_;
  std::map<std::uint64_t, Seen> uncovered_;    // records after covered_seq_
  std::optional<Missing> missing_;             // records found missing: do they come later?
  std::vector<std::string> key_fingerprints_;  // the keys checkpoints named, without --public-key
};

VerifyReport verify_audit_files(const std::vector<std::string>& paths,
                                const VerifyOptions& options);

}  // namespace p11signd::audit
