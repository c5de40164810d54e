// Loading a provider's public key from what an operator points a [peer.NAME] at: PEM (SPKI, PKCS#1
// "RSA PUBLIC KEY", certificate), DER (SPKI, certificate) or one line of base64 DER, of an RSA, EC
// P-256, EC P-384 or Ed25519 key. Bad material must be refused with PeerKeyError and nothing else;
// a key that loads must behave.

#include <cstdlib>

#include "schemes/peer_key.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace p11signd;
  using schemes::PeerKey;
  using schemes::PeerKeyError;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const ByteView der(data, size);
  // Every alg, the key's own and the others' (which are false, not an error): none verifies.
  const auto exercise = [](const PeerKey& key) {
    if (key.bits() == 0 || key.spki_der().empty()) std::abort();
    const Bytes forged(key.bits() / 8, 0x01);
    for (const SignAlg alg :
         {SignAlg::kRsaPkcs1Sha256, SignAlg::kRsaPssSha256, SignAlg::kRsaPssSha512,
          SignAlg::kEcdsaSha256, SignAlg::kEcdsaSha384, SignAlg::kEd25519}) {
      if (key.verify(SignRequest{alg}, as_bytes("data"), forged)) std::abort();
    }
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
