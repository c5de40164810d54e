#!/usr/bin/python3
"""Gets a JWS from p11signd with an EC P-256 key (no alg in the request: the key's type makes it
ES256) and checks it with the `cryptography` package (Debian: python3-cryptography) and the JWK set
published for the receiving API: the key is found by the header's kid, rebuilt from the JWK's x and
y, and the 64-byte r||s signature (RFC 7518 3.4) checked as ECDSA with SHA-256. Prints the JWS.

usage: python3 jws_es256.py JWKS_JSON [KEY_NAME]
"""
import base64
import http.client
import json
import os
import socket
import sys
import time

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


class UnixHTTPConnection(http.client.HTTPConnection):
    """http.client over the daemon's Unix socket."""

    def __init__(self, path, timeout=10):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


def p11signd(method, route, body=None):
    path = os.environ.get("P11SIGN_SOCKET", "/run/p11signd/p11signd.sock")
    conn = UnixHTTPConnection(path)
    try:
        conn.request(method, route, body=json.dumps(body) if body is not None else None,
                     headers={"Content-Type": "application/json"})
    except OSError as e:
        raise SystemExit(f"cannot reach p11signd at {path} ({e.strerror}); set P11SIGN_SOCKET to the daemon's "
                         "socket, e.g. .p11signd-dev/p11signd.sock for scripts/dev")
    response = conn.getresponse()
    answer = json.loads(response.read())
    if response.status != 200:
        raise SystemExit(f"p11signd answered {response.status}: {answer['error']['message']}")
    return answer



def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_key_from_jwk(jwk):
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise SystemExit(f"not an EC P-256 JWK: {jwk}")
    x = int.from_bytes(b64url_decode(jwk["x"]), "big")
    y = int.from_bytes(b64url_decode(jwk["y"]), "big")
    return ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()


def main():
    with open(sys.argv[1] if len(sys.argv) > 1 else "jwks.json", encoding="utf-8") as f:
        jwks = json.load(f)
    key = sys.argv[2] if len(sys.argv) > 2 else "jws-ec"
    answer = p11signd("POST", "/v1/schemes/jws/sign", {
        "key": key,
        "payload": {"iss": "shop.example", "aud": "https://api.example", "iat": int(time.time())},
    })
    jws = answer["jws"]
    header_b64, payload_b64, signature_b64 = jws.split(".")
    header = json.loads(b64url_decode(header_b64))
    if header.get("alg") != "ES256":
        raise SystemExit(f"unexpected header: {header}")
    signature = b64url_decode(signature_b64)
    if len(signature) != 64:
        raise SystemExit(f"an ES256 signature is 64 bytes of r||s, not {len(signature)}")
    keys = [k for k in jwks["keys"] if k.get("kid") == header.get("kid")]
    if len(keys) != 1:
        raise SystemExit(f"no single key with kid {header.get('kid')!r} in the JWK set")
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:], "big")
    try:
        public_key_from_jwk(keys[0]).verify(encode_dss_signature(r, s),
                                            f"{header_b64}.{payload_b64}".encode(),
                                            ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise SystemExit("the JWS does NOT verify with the published JWK")
    print(f"header: {json.dumps(header)}", file=sys.stderr)
    print("ES256 verified with python3-cryptography and the published JWK", file=sys.stderr)
    print(jws)


if __name__ == "__main__":
    main()
