// The p11signd executable itself: --check-config lists every problem, one line each, and exits
// non-zero.
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <array>
#include <fstream>

#include "daemon/lifecycle/exit_codes.h"
#include "daemon/testing/test_support.h"

namespace p11signd::daemon {
namespace {

struct Outcome {
  int exit_code;
  std::string output;
};

// prefix: e.g. "env -u VAR " before the binary.
Outcome run_p11signd(const std::string& args, const std::string& prefix = "") {
  const std::string cmd = prefix + P11SIGND_BINARY + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf;
  for (std::size_t n; (n = fread(buf.data(), 1, buf.size(), p)) > 0;) out.append(buf.data(), n);
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

TEST(CheckConfig, ListsEveryProblemOnItsOwnLine) {
  testing::TempDir dir;
  const std::string conf = dir.file("bad.conf");
  std::ofstream(conf) << "[daemon]\nsocket-mode = 9\nbogus = 1\n[token]\nuri = pkcs11:token=t\n"
                         "pin-file = /nonexistent/pin\n[key.k]\nallow-uids = no-such-user-x\n";
  Outcome r = run_p11signd("--check-config --config " + conf);
  EXPECT_EQ(r.exit_code, kExitConfig) << r.output;
  for (const char* needle : {"socket-mode", "unknown option 'bogus'", "no-such-user-x",
                             "[key.k]: needs label or id", "/nonexistent/pin"}) {
    EXPECT_NE(r.output.find(needle), std::string::npos) << needle << " in\n" << r.output;
  }
  int lines = 0;
  for (char c : r.output) lines += c == '\n';
  EXPECT_EQ(lines, 5) << r.output;
}

// The lines name the file and line, so that an editor can jump there; a section pasted twice is
// one line, not one per option.
TEST(CheckConfig, NamesTheFileAndLineAndSuggests) {
  testing::TempDir dir;
  const std::string conf = dir.file("p11signd.conf");
  const std::string key = "[key.shop]\nlabel = shop\nallow-uids = 0\nschemes = raw\n";
  std::ofstream(conf) << "[token]\nuri = pkcs11:token=t\npin-file = " + conf + "\n" + key +
                             "allow-group = 0\n" + key;
  Outcome r = run_p11signd("--check-config --config " + conf);
  EXPECT_EQ(r.exit_code, kExitConfig) << r.output;
  EXPECT_EQ(
      r.output,
      "p11signd: " + conf +
          ":4: [key.shop]: the section is written twice, on lines 4 and 9; write each section "
          "once (merge them)\n"
          "p11signd: " +
          conf +
          ":8: [key.shop]: unknown option 'allow-group' (did you mean 'allow-groups'?); "
          "[key.shop] takes label, id, allow-uids, allow-groups, schemes, allow-extractable "
          "and SCHEME.SETTING\n");
}

// Warnings do not fail the check; they come before the token is opened (here: a module that
// does not exist, so the start fails after them).
TEST(CheckConfig, WarnsAboutAKeyWithoutSchemes) {
  testing::TempDir dir;
  const std::string conf = dir.file("p11signd.conf");
  std::ofstream(dir.file("pin")) << "1234\n";
  std::ofstream(conf) << "[daemon]\naudit-log = " << dir.file("audit.log")
                      << "\n[token]\nmodule = " << dir.file("no-such-module.so")
                      << "\nuri = pkcs11:token=t\npin-file = " << dir.file("pin")
                      << "\n[key.k]\nlabel = k\nallow-uids = 0\n";
  Outcome r = run_p11signd("--check-config --config " + conf);
  EXPECT_NE(r.output.find("p11signd: warning: [key.k] has no 'schemes =' line: the key signs for "
                          "no scheme"),
            std::string::npos)
      << r.output;
}

// Run by hand, outside the service, a PIN credential is not there: the problem is the command
// that checks as the service runs, with the PIN file and SoftHSM configuration beside the file.
TEST(CheckConfig, ACredentialOutsideTheServiceNamesTheCommandToRun) {
  testing::TempDir dir;
  const std::string conf = dir.file("p11signd.conf");
  std::ofstream(dir.file("softhsm2.conf")) << "directories.tokendir = " << dir.path() << "\n";
  std::ofstream(conf) << "[daemon]\naudit-log = -\n[token]\nuri = pkcs11:token=t\n"
                         "pin-credential = pin\n";
  Outcome r = run_p11signd("--check-config --config " + conf, "env -u CREDENTIALS_DIRECTORY ");
  EXPECT_EQ(r.exit_code, kExitConfig) << r.output;
  const std::string command =
      "run: sudo systemd-run --pipe --wait -p User=p11signd -p "
      "Environment=SOFTHSM2_CONF=" +
      dir.file("softhsm2.conf") + " -p LoadCredential=pin:" + dir.file("pin") + " " +
      P11SIGND_BINARY + " --config " + conf + " --check-config\n";
  EXPECT_NE(r.output.find("$CREDENTIALS_DIRECTORY is not set"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(command), std::string::npos) << r.output << "\nwanted: " << command;

  // Inside a service whose credential is missing, the old problem: the file is not there.
  r = run_p11signd("--check-config --config " + conf,
                   "env CREDENTIALS_DIRECTORY=" + dir.path() + " ");
  EXPECT_NE(r.output.find("no readable $CREDENTIALS_DIRECTORY/pin"), std::string::npos) << r.output;
}

TEST(CheckConfig, MissingFileAndBadFlags) {
  EXPECT_EQ(run_p11signd("--check-config --config /nonexistent.conf").exit_code, kExitConfig);
  EXPECT_EQ(run_p11signd("--no-such-flag").exit_code, kExitUsage);
  Outcome help = run_p11signd("--help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.output.find("--check-config"), std::string::npos);
}

}  // namespace
}  // namespace p11signd::daemon
