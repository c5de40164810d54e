// The keys the daemon makes, as another PKCS#11 program sees them: OpenSC's pkcs11-tool lists the
// private keys with the mechanisms they allow and their usage. What it prints is the token's own
// record, not what this project's code reads back.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/testing/child_process.h"
#include "tests/testing/token_fixture.h"

namespace p11signd::testing {
namespace {

std::string pkcs11_tool() {
  for (const char* dir : {"/usr/bin", "/usr/local/bin"}) {
    const std::string path = std::string(dir) + "/pkcs11-tool";
    if (std::filesystem::exists(path)) return path;
  }
  return "";
}

// `pkcs11-tool --list-objects --type privkey` on the test token, logged in; its output.
std::string list_private_keys(const SoftHsm& hsm) {
  const std::string tool = pkcs11_tool();
  if (tool.empty()) {
    ADD_FAILURE() << "pkcs11-tool not found: install opensc (scripts/packages.txt)";
    return "";
  }
  const std::string out = (hsm.dir() / "pkcs11-tool.out").string();
  ChildProcess child;
  child.spawn({tool, "--module", softhsm_module(), "--token-label", hsm.label(), "--login", "--pin",
               kUserPin, "--list-objects", "--type", "privkey"},
              out, ChildProcess::Output::kBothToFile);
  EXPECT_EQ(child.wait_for_exit(std::chrono::seconds(60)), 0);
  return read_file(out);
}

// One "Private Key Object" block of the listing per label.
std::string block_of(const std::string& listing, const std::string& label) {
  const auto at = listing.find("label:      " + label + "\n");
  if (at == std::string::npos) return "";
  const auto start = listing.rfind("Private Key Object", at);
  const auto end = listing.find("Private Key Object", at);
  return listing.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

void expect_only_signing(const std::string& listing, const std::string& label, bool generated) {
  const std::string block = block_of(listing, label);
  ASSERT_FALSE(block.empty()) << "no private key '" << label << "' in\n" << listing;
  std::istringstream lines(block);
  std::string usage, access, allowed;
  for (std::string line; std::getline(lines, line);) {
    if (line.find("Usage:") != std::string::npos) usage = line;
    if (line.find("Access:") != std::string::npos) access = line;
    if (line.find("Allowed mechanisms:") != std::string::npos) allowed = line;
  }
  EXPECT_NE(usage.find("sign"), std::string::npos) << block;
  for (const char* never : {"decrypt", "unwrap", "derive", "signRecover"}) {
    EXPECT_EQ(usage.find(never), std::string::npos) << never << " in " << block;
  }
  // An imported key was outside the token once, so only a generated one is "never extractable";
  // neither may be extractable now.
  const auto never = access.find("never extractable");
  EXPECT_EQ(never != std::string::npos, generated) << block;
  const std::string rest = never == std::string::npos ? access : access.substr(0, never);
  EXPECT_EQ(rest.find("extractable"), std::string::npos) << block;
  EXPECT_NE(access.find("sensitive"), std::string::npos) << block;
  for (const char* mechanism : {"SHA256-RSA-PKCS,", "RSA-PKCS,", "SHA256-RSA-PKCS-PSS",
                                "RSA-PKCS-PSS", "SHA512-RSA-PKCS-PSS"}) {
    EXPECT_NE(allowed.find(mechanism), std::string::npos) << mechanism << " in " << block;
  }
  // Exactly five: no raw RSA (RSA-X-509), no decryption or SHA-1 mechanism.
  EXPECT_EQ(std::count(allowed.begin(), allowed.end(), ','), 4) << block;
}

TEST_F(TokenTest, Pkcs11ToolSeesOnlyTheSigningMechanismsOnGeneratedAndImportedKeys) {
  generate("made");
  import("imported", testdata("swifood/private_key.pem"));
  const std::string listing = list_private_keys(*hsm_);
  expect_only_signing(listing, "made", /*generated=*/true);
  expect_only_signing(listing, "imported", /*generated=*/false);
}

}  // namespace
}  // namespace p11signd::testing
