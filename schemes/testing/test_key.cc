#include "schemes/testing/test_key.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "common/public_key.h"
#include "common/testing/software_sign.h"

namespace p11signd::schemes::testing {

TestKey TestKey::from_pem(std::string_view pem) {
  return TestKey(p11signd::testing::software_key_from_pem(pem));
}

TestKey TestKey::generate(unsigned bits) {
  return TestKey(p11signd::testing::generate_software_key(KeyType::kRsa, bits));
}

TestKey TestKey::generate(KeyType type) {
  return TestKey(p11signd::testing::generate_software_key(type));
}

KeyType TestKey::type() const { return *key_type_of(key_.get()); }

const TestKey& TestKey::shared() {
  static const TestKey key = generate(2048);
  return key;
}

const TestKey& TestKey::other() {
  static const TestKey key = generate(2048);
  return key;
}

Bytes TestKey::sign(const SignRequest& req, ByteView data) const {
  return p11signd::testing::software_sign(key_.get(), req, data);
}

SigningKey TestKey::signer() const {
  return SigningKey(
      [key = *this](const SignRequest& req, ByteView data) { return key.sign(req, data); }, type());
}

PeerKey TestKey::peer() const { return PeerKey::from_spki_der(spki_der(key_.get())); }

std::string read_testdata(std::string_view relative_path) {
  const std::string path =
      std::string(P11SIGND_SCHEMES_TESTDATA) + "/" + std::string(relative_path);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open test data " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace p11signd::schemes::testing
