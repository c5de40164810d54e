#pragma once
// `p11sign key versions NAME` as a table: one line per version, oldest first, in aligned columns
// (VERSION STATE TYPE FINGERPRINT CREATED KID CERT_EXPIRES), "-" where a version has no value.

#include <nlohmann/json.hpp>
#include <string>

namespace p11signd::cli {

// The table of a {"key","versions":[...]} answer. Throws Failure when the answer has no
// "versions" array (the daemon answered something else).
std::string versions_table(const nlohmann::ordered_json& answer);

}  // namespace p11signd::cli
