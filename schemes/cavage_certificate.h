#pragma once
// The signing certificate of a cavage key (an eIDAS QSeal in production): read from the file the
// key's `cavage.certificate` setting names, so that the scheme never touches the token. It gives
// the TPP-Signature-Certificate header (base64 DER), the keyId ("SN=<serial hex>,CA=<issuer DN>")
// and the public key the daemon's signature is checked against before it is handed out.

#include <stdexcept>
#include <string>

#include "common/bytes.h"
#include "schemes/peer_key.h"

namespace p11signd::schemes {

class CertificateError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct SigningCertificate {
  Bytes der;
  std::string serial_hex;  // uppercase, without leading zero bytes ("9FA1")
  std::string issuer_dn;   // RFC 4514 string form, most specific first ("CN=CA 1,O=QTSP,C=DE")
  PeerKey key;
  // The NextGenPSD2 keyId: "SN=<serial_hex>,CA=<issuer_dn>".
  std::string key_id() const { return "SN=" + serial_hex + ",CA=" + issuer_dn; }
};

// A PEM or DER X.509 certificate with an RSA key. Throws CertificateError saying what is wrong.
SigningCertificate parse_signing_certificate(std::string_view pem_or_der);
SigningCertificate load_signing_certificate(const std::string& path);

}  // namespace p11signd::schemes
