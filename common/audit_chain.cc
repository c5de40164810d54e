#include "common/audit_chain.h"

#include <nlohmann/json.hpp>

#include "common/digest.h"

namespace p11signd::audit {

std::string chain_line(std::string_view body, const ChainHead& head) {
  // body ends with '}'; "{}" gets no comma.
  std::string line(body.substr(0, body.size() - 1));
  if (line.size() > 1) line += ',';
  line += "\"seq\":" + std::to_string(head.seq + 1) + ",\"prev\":\"" + head.sha256 + "\"}";
  return line;
}

ChainHead head_after(std::string_view line, std::uint64_t seq) {
  return {seq, sha256_hex(as_bytes(line))};
}

std::optional<ChainHead> head_of_line(std::string_view line) {
  const auto j = nlohmann::json::parse(line, nullptr, false);
  if (!j.is_object() || !j.contains("seq") || !j["seq"].is_number_unsigned()) return std::nullopt;
  return head_after(line, j["seq"].get<std::uint64_t>());
}

std::string checkpoint_message(std::uint64_t covers_seq, std::string_view covers_sha256) {
  return "p11signd audit checkpoint v1\nseq " + std::to_string(covers_seq) + "\nsha256 " +
         std::string(covers_sha256) + "\n";
}

}  // namespace p11signd::audit
