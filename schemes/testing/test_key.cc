#include "schemes/testing/test_key.h"

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace p11signd::schemes::testing {

TestKey TestKey::from_pem(std::string_view pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  EVP_PKEY* k = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (k == nullptr) throw std::runtime_error("test key PEM does not parse");
  return TestKey(std::shared_ptr<EVP_PKEY>(k, EVP_PKEY_free));
}

TestKey TestKey::generate(unsigned bits) {
  EVP_PKEY* k = EVP_RSA_gen(bits);
  if (k == nullptr) throw std::runtime_error("RSA key generation failed");
  return TestKey(std::shared_ptr<EVP_PKEY>(k, EVP_PKEY_free));
}

const TestKey& TestKey::shared() {
  static const TestKey key = generate(2048);
  return key;
}

const TestKey& TestKey::other() {
  static const TestKey key = generate(2048);
  return key;
}

Bytes TestKey::sign(const SignRequest& req, ByteView data) const {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_PKEY_CTX* pctx = nullptr;
  if (EVP_DigestSignInit(ctx.get(), &pctx, EVP_sha256(), nullptr, key_.get()) != 1) {
    throw std::runtime_error("EVP_DigestSignInit failed");
  }
  if (req.alg == SignAlg::kRsaPssSha256) {
    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
    EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256());
    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, static_cast<int>(req.salt_len));
  }
  std::size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, data.data(), data.size()) != 1) {
    throw std::runtime_error("EVP_DigestSign (size) failed");
  }
  Bytes sig(len);
  if (EVP_DigestSign(ctx.get(), sig.data(), &len, data.data(), data.size()) != 1) {
    throw std::runtime_error("EVP_DigestSign failed");
  }
  sig.resize(len);
  return sig;
}

SignFn TestKey::signer() const {
  return [key = *this](const SignRequest& req, ByteView data) { return key.sign(req, data); };
}

PeerKey TestKey::peer() const {
  unsigned char* out = nullptr;
  const int n = i2d_PUBKEY(key_.get(), &out);
  Bytes spki(out, out + n);
  OPENSSL_free(out);
  return PeerKey::from_spki_der(spki);
}

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
