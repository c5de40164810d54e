// Test-only: the httpsig scheme on the command line, so that an implementation we did not write
// (tests/interop/) can check what it signs and give it what to verify. Never installed.
//   httpsig_tool sign PRIVATE_KEY.pem < INPUT.json    prints the scheme's sign answer
//   httpsig_tool verify PUBLIC_KEY.pem < INPUT.json   prints the scheme's verify answer

#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>

#include "schemes/httpsig.h"
#include "schemes/peer_key.h"
#include "schemes/testing/test_key.h"

namespace {

std::string slurp(std::istream& in) {
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

int main(int argc, char** argv) {
  using namespace p11signd::schemes;
  if (argc != 3) {
    std::cerr << "usage: httpsig_tool sign|verify KEY.pem < INPUT.json\n";
    return 2;
  }
  const std::string op = argv[1];
  std::ifstream key_file(argv[2]);
  if (!key_file) {
    std::cerr << "httpsig_tool: cannot read " << argv[2] << "\n";
    return 2;
  }
  const std::string key = slurp(key_file);
  const HttpsigScheme scheme([] { return std::chrono::system_clock::now(); });
  try {
    const Json input = Json::parse(slurp(std::cin));
    if (op == "sign") {
      std::cout << scheme.sign(input, {}, testing::TestKey::from_pem(key).signer()).dump() << "\n";
    } else if (op == "verify") {
      std::cout << scheme.verify(input, PeerKey::from_text(key)).dump() << "\n";
    } else {
      std::cerr << "httpsig_tool: sign or verify, not " << op << "\n";
      return 2;
    }
  } catch (const std::exception& e) {
    std::cerr << "httpsig_tool: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
