// Loading a provider's public key (RSA, EC P-256/P-384, Ed25519) from what a [peer.NAME] names: PEM
// (SPKI, PKCS#1 "RSA PUBLIC KEY", certificate), DER (SPKI, certificate) or one line of base64 DER.
// Bad material must be refused with PeerKeyError and nothing else; a key that loads must behave.

#include <cstdlib>

#include "common/public_key.h"
#include "schemes/peer_key.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace p11signd;
  using schemes::PeerKey;
  using schemes::PeerKeyError;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const ByteView der(data, size);
  const auto exercise = [](const PeerKey& key) {
    if (key.bits() == 0 || key.spki_der().empty()) std::abort();
    const Bytes forged(key.bits() / 8, 0x01);
    // Each key type with an algorithm it makes (an RSA algorithm on an EC key would throw).
    SignRequest req;
    switch (*key_type_of(key.get())) {
      case KeyType::kRsa:
        break;
      case KeyType::kEcP256:
        req.alg = SignAlg::kEcdsaSha256;
        break;
      case KeyType::kEcP384:
        req.alg = SignAlg::kEcdsaSha384;
        break;
      case KeyType::kEd25519:
        req.alg = SignAlg::kEd25519;
        break;
    }
    if (key.verify(req, as_bytes("data"), forged)) std::abort();  // never verifies
  };
  try {
    exercise(PeerKey::from_text(text));
  } catch (const PeerKeyError&) {
  }
  try {
    exercise(PeerKey::from_spki_der(der));
  } catch (const PeerKeyError&) {
  }
  try {
    exercise(PeerKey::from_certificate_der(der));
  } catch (const PeerKeyError&) {
  }
  try {
    (void)schemes::spki_from_certificate_der(der);
  } catch (const PeerKeyError&) {
  }
  return 0;
}
