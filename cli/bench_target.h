#pragma once
// What `p11sign bench` sends, how it recognises a signed answer without parsing it, and how it
// turns one answer into a verification request: raw signatures (/v1/keys/NAME/sign) or one scheme's
// sign route. Kept apart from the load loop so that the loop stays a loop.

#include <optional>
#include <string>

namespace p11signd::cli {

struct BenchTarget {
  std::string sign_path;  // POSTed with `body` for every signature
  std::string body;
  // An answer counts as a signature only if it is a 200 whose body holds this text: the JSON
  // name of the field that carries the signature ("signature": for raw, "jws": for jws, ...).
  std::string signed_marker;
};

struct BenchRequest {
  std::string key;
  std::string alg;                    // raw only
  std::size_t size = 32;              // raw only: bytes signed
  std::optional<std::string> scheme;  // none: raw signatures
  std::optional<std::string> input;   // the scheme's sign input (JSON object); none: built in
};

// Throws UsageError for a scheme bench has no input and check for, or an input that is not a JSON
// object.
BenchTarget make_bench_target(const BenchRequest& request);

// The verify route and body that check one answer of `target` (a sample, after the run).
struct SampleCheck {
  std::string path;
  std::string body;
};
// Throws Failure when the answer is not the JSON the scheme answers with.
SampleCheck sample_check_for(const BenchRequest& request, const std::string& answer);

}  // namespace p11signd::cli
