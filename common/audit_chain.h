#pragma once
// The audit log's hash chain, shared by the daemon that writes it and `p11sign audit verify` that
// checks it. Every line is one JSON object that ends with two fields the writer appends:
//   "seq":  the record's number, one more than the line before it (1 for the first of a chain);
//   "prev": hex SHA-256 of the line before it, its bytes without the newline (64 zeros: the chain
//           starts here).
// A rotated log's new file goes on from the last line of the old one, so the files read in order
// are one chain. A checkpoint record ("op":"audit-checkpoint") names the record it vouches for
// ("covers_seq", "covers_sha256") and, when an audit key is configured, carries the token's
// signature over checkpoint_message() of those two; since each line holds the hash of the one
// before, that signature vouches for every line up to the record it covers.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace p11signd::audit {

inline constexpr std::string_view kChainStart =
    "0000000000000000000000000000000000000000000000000000000000000000";
inline constexpr std::string_view kCheckpointOp = "audit-checkpoint";

// The last record written: the next one gets seq + 1 and prev = sha256.
struct ChainHead {
  std::uint64_t seq = 0;
  std::string sha256{kChainStart};
};

// body (one JSON object, no newline) with "seq" and "prev" appended, linked after head.
std::string chain_line(std::string_view body, const ChainHead& head);
// The head after line (one line written by chain_line, without the newline).
ChainHead head_after(std::string_view line, std::uint64_t seq);
// The head a line leaves when it is a chained record; nullopt when it is not (not JSON, no seq).
std::optional<ChainHead> head_of_line(std::string_view line);

// The bytes an audit key signs for a checkpoint that covers the record covers_seq whose line hashes
// to covers_sha256. The prefix keeps a checkpoint signature from standing for anything else.
std::string checkpoint_message(std::uint64_t covers_seq, std::string_view covers_sha256);

}  // namespace p11signd::audit
