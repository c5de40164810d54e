#include "common/audit_verify.h"

#include <fstream>
#include <stdexcept>

#include "common/digest.h"
#include "common/encoding.h"
#include "common/public_key.h"

namespace p11signd::audit {
namespace {

bool is_hex64(const nlohmann::json& v) {
  if (!v.is_string()) return false;
  const auto& s = v.get_ref<const std::string&>();
  return s.size() == 64 && hex_decode(s).has_value();
}

std::string range(std::uint64_t from, std::uint64_t to) {
  return from == to ? "seq " + std::to_string(from)
                    : "seq " + std::to_string(from) + ".." + std::to_string(to);
}

std::optional<Bytes> base64_field(const nlohmann::json& record, const char* name) {
  if (!record.contains(name) || !record[name].is_string()) return std::nullopt;
  return base64_decode(record[name].get<std::string>());
}

}  // namespace

AuditVerifier::AuditVerifier(VerifyOptions options) : options_(std::move(options)) {}

void AuditVerifier::fail(std::string problem) {
  if (!report_.problem) report_.problem = std::move(problem);
}

void AuditVerifier::add_file(const std::string& name, std::istream& in) {
  std::size_t number = 0;
  for (std::string line; std::getline(in, line);) {
    // getline stops at the end of the input without a newline only on the last line.
    add_line(name + ":" + std::to_string(++number), line, !in.eof());
  }
}

void AuditVerifier::add_line(const std::string& where, const std::string& line, bool complete) {
  if (report_.problem) return look_for_missing(where, line);
  if (!complete) {
    return fail(where +
                " is cut short: the file does not end with a newline (truncated, or a write was "
                "interrupted)");
  }
  const auto record = nlohmann::json::parse(line, nullptr, false);
  if (!record.is_object()) return fail(where + " is not a JSON record: changed, or cut");
  if (!record.contains("seq") || !record["seq"].is_number_unsigned() || !record.contains("prev") ||
      !is_hex64(record["prev"])) {
    return fail(where + " has no chain fields (seq, prev): changed, or not a p11signd audit line");
  }
  const auto seq = record["seq"].get<std::uint64_t>();
  check_link(where, seq, record["prev"].get<std::string>());
  if (report_.problem) return;
  const ChainHead head = head_after(line, seq);
  uncovered_[seq] = {head.sha256, where};
  last_ = head;
  last_where_ = where;
  ++report_.records;
  if (record.value("op", "") == kCheckpointOp) check_checkpoint(where, record, seq);
}

void AuditVerifier::check_link(const std::string& where, std::uint64_t seq,
                               const std::string& prev) {
  const std::string seq_text = "seq " + std::to_string(seq);
  if (!last_) {
    first_seq_ = seq;
    if (prev != kChainStart) {
      report_.notes.push_back(where + " (" + seq_text +
                              ") follows a record not in the files given; give the file before "
                              "it too to check that link");
    } else if (seq != 1) {
      fail(where + " starts a chain but has " + seq_text + ", not seq 1: changed");
    }
    return;
  }
  const std::string last_seq = "seq " + std::to_string(last_->seq);
  if (prev == kChainStart) {
    return fail(where + " starts a new chain instead of following " + last_where_ +
                ": records between them may have been removed (or the daemon started on an empty "
                "log after the previous file was moved away)");
  }
  if (prev == last_->sha256) {
    if (seq != last_->seq + 1)
      fail(where + " was changed: its " + seq_text + " follows " + last_seq);
    return;
  }
  if (seq == last_->seq + 1) {
    fail(last_where_ + " was changed: its SHA-256 is not the one the next record (" + where +
         ") holds for it");
  } else if (seq <= last_->seq) {
    fail(where + " is out of order: " + seq_text + " after " + last_seq +
         " (records reordered or copied in)");
  } else {
    missing_ = Missing{last_->seq + 1, seq - 1, where};
    fail("records " + range(last_->seq + 1, seq - 1) + " are missing before " + where +
         " (removed)");
  }
}

// After records were found missing: when one of them comes later, they were moved, not removed.
void AuditVerifier::look_for_missing(const std::string& where, const std::string& line) {
  if (!missing_) return;
  const auto record = nlohmann::json::parse(line, nullptr, false);
  if (!record.is_object() || !record.contains("seq") || !record["seq"].is_number_unsigned()) return;
  const auto seq = record["seq"].get<std::uint64_t>();
  if (seq < missing_->from || seq > missing_->to) return;
  report_.problem = missing_->where + " is out of order: the record seq " + std::to_string(seq) +
                    " that belongs there is at " + where + " (records reordered)";
  missing_.reset();
}

void AuditVerifier::check_checkpoint(const std::string& where, const nlohmann::json& record,
                                     std::uint64_t seq) {
  if (!record.contains("covers_seq") || !record["covers_seq"].is_number_unsigned() ||
      !record.contains("covers_sha256") || !is_hex64(record["covers_sha256"])) {
    return fail(where + " is a checkpoint without covers_seq and covers_sha256: changed");
  }
  if (!record.contains("signature")) {
    ++report_.unsigned_checkpoints;
    return;
  }
  const auto covers = record["covers_seq"].get<std::uint64_t>();
  if (covers >= seq) return fail(where + " is a checkpoint for a later record: forged");
  if (covers < *first_seq_) {
    report_.notes.push_back(where + ": its checkpoint covers a record before the files given");
    return;
  }
  if (covers <= covered_seq_) return;  // an earlier checkpoint already covers more
  const Seen& covered = uncovered_.at(covers);
  if (covered.sha256 != record["covers_sha256"].get<std::string>()) {
    return fail("the checkpoint at " + where + " signed another record than " + covered.where +
                ": a line from " + uncovered_.begin()->second.where + " to " + covered.where +
                " was changed, removed or added, and the chain recomputed");
  }
  if (!signature_verifies(where, record)) return;
  ++report_.signed_checkpoints;
  covered_seq_ = covers;
  covered_where_ = covered.where;
  uncovered_.erase(uncovered_.begin(), uncovered_.upper_bound(covers));
}

bool AuditVerifier::signature_verifies(const std::string& where, const nlohmann::json& record) {
  const auto alg = parse_sign_alg(record.value("alg", ""));
  const auto signature = base64_field(record, "signature");
  std::optional<Bytes> spki = options_.public_key_spki;
  if (!spki) spki = base64_field(record, "public_key");
  if (!alg || !signature || !spki) {
    fail(where + " is a checkpoint whose alg, signature or public_key is missing or malformed");
    return false;
  }
  bool valid = false;
  try {
    valid =
        verify_signature(*spki, SignRequest{*alg},
                         as_bytes(checkpoint_message(record["covers_seq"].get<std::uint64_t>(),
                                                     record["covers_sha256"].get<std::string>())),
                         *signature);
  } catch (const std::exception& e) {
    fail(where + ": cannot check the checkpoint's signature: " + e.what());
    return false;
  }
  if (!valid) {
    fail(where + ": the checkpoint's signature does not verify with " +
         (options_.public_key_spki ? "the public key given" : "the public key it carries") +
         ": forged, or changed");
    return false;
  }
  if (!options_.public_key_spki) {
    const std::string fp = sha256_hex(*spki);
    if (key_fingerprints_.empty() || key_fingerprints_.back() != fp)
      key_fingerprints_.push_back(fp);
  }
  return true;
}

VerifyReport AuditVerifier::finish() {
  if (report_.problem) return report_;
  report_.uncovered = uncovered_.size();
  auto& notes = report_.notes;
  if (report_.signed_checkpoints == 0) {
    notes.push_back(
        "no signed checkpoint: the chain shows lines changed, removed or reordered by someone who "
        "did not recompute it, but a log rewritten whole cannot be told from the real one");
  } else if (!options_.public_key_spki) {
    std::string fps;
    for (const auto& fp : key_fingerprints_) fps += (fps.empty() ? "" : ", ") + fp;
    notes.push_back("checkpoints were checked with the public key they carry (SHA-256 of SPKI: " +
                    fps + "); give --public-key with the audit key's to rule out a rewritten log");
  }
  if (report_.uncovered > 0) {
    const std::string after = covered_where_.empty() ? "from the start" : "after " + covered_where_;
    notes.push_back(std::to_string(report_.uncovered) + " record(s) " + after +
                    " are not covered by a signed checkpoint: they could have been cut or "
                    "rewritten without a trace");
  }
  return report_;
}

VerifyReport verify_audit_files(const std::vector<std::string>& paths,
                                const VerifyOptions& options) {
  AuditVerifier verifier(options);
  for (const auto& path : paths) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(path + ": cannot open");
    verifier.add_file(path, in);
  }
  return verifier.finish();
}

}  // namespace p11signd::audit
