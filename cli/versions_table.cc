#include "cli/versions_table.h"

#include <algorithm>
#include <array>
#include <string>
#include <tuple>
#include <vector>

#include "cli/errors.h"

namespace p11signd::cli {
namespace {

using Json = nlohmann::ordered_json;
using Row = std::array<std::string, 7>;

const Row kHeader = {"VERSION", "STATE", "TYPE", "FINGERPRINT", "CREATED", "KID", "CERT_EXPIRES"};
// Enough of the SHA-256 to tell versions apart and to match `p11sign keys` by eye.
constexpr std::size_t kFingerprintChars = 16;

std::string text(const Json& v, const char* field) {
  const auto it = v.find(field);
  if (it == v.end() || !it->is_string() || it->get<std::string>().empty()) return "-";
  return it->get<std::string>();
}

// The listing names types as rotate takes them ("rsa" with bits, "ec" with curve, "ed25519"):
// "RSA-2048", "EC P-256", "Ed25519", as `p11sign keys` shows them.
std::string key_type(const Json& v) {
  const std::string type = text(v, "type");
  const auto bits = v.find("bits");
  if (type == "rsa" && bits != v.end() && bits->is_number_unsigned()) {
    return "RSA-" + std::to_string(bits->get<unsigned>());
  }
  if (type == "ec" && text(v, "curve") != "-") return "EC " + text(v, "curve");
  if (type == "ed25519") return "Ed25519";
  return type;
}

std::string certificate_expiry(const Json& v) {
  const auto cert = v.find("certificate");
  if (cert == v.end() || !cert->is_object()) return "-";
  return text(*cert, "not_after");
}

Row row_of(const Json& v) {
  const auto version = v.find("version");
  const std::string number = version != v.end() && version->is_number_unsigned()
                                 ? std::to_string(version->get<unsigned>())
                                 : "?";
  std::string fingerprint = text(v, "fingerprint_sha256");
  if (fingerprint.size() > kFingerprintChars) fingerprint.resize(kFingerprintChars);
  return {number,         text(v, "state"),     key_type(v), fingerprint, text(v, "created"),
          text(v, "kid"), certificate_expiry(v)};
}

std::string render(const std::vector<Row>& rows) {
  std::array<std::size_t, std::tuple_size_v<Row>> widths{};
  for (const Row& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const Row& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace

std::string versions_table(const Json& answer) {
  const bool listed =
      answer.is_object() && answer.contains("versions") && answer["versions"].is_array();
  if (!listed) {
    throw Failure("the daemon's answer has no list of versions: " + answer.dump().substr(0, 200));
  }
  std::vector<Row> rows = {kHeader};
  for (const Json& v : answer["versions"]) {
    if (v.is_object()) rows.push_back(row_of(v));
  }
  return render(rows);
}

}  // namespace p11signd::cli
