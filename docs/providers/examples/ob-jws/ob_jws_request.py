#!/usr/bin/python3
"""Signs a UK Open Banking request body through p11signd (scheme ob-jws, key "ob-signing") and checks
the x-jws-signature with the `cryptography` package (Debian: python3-cryptography) and the PEM key
registered with the bank, as the bank does: every name in crit understood and present, the Open
Banking claims named there, iat fresh, and PS256 (RSASSA-PSS, SHA-256, MGF1-SHA256, salt 32) over
BASE64URL(header) "." BASE64URL(body), or "." body itself when the header says b64:false (v3.1.3).
Prints the request's headers and body as they are sent.

usage: python3 ob_jws_request.py PUBLIC_KEY.pem
"""
import base64
import http.client
import json
import os
import socket
import sys
import time

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

OB = "http://openbanking.org.uk/"
UNDERSTOOD = {"b64", OB + "iat", OB + "iss", OB + "tan"}


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


def b64url_encode(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def check_detached(jws, body, public_key):
    header_b64, payload, signature_b64 = jws.split(".")
    header = json.loads(b64url_decode(header_b64))
    crit = header.get("crit", [])
    if payload or header.get("alg") != "PS256":
        raise SystemExit(f"not a detached PS256 JWS: {header}")
    if not set(crit) <= UNDERSTOOD or any(name not in header for name in crit):
        raise SystemExit(f"crit names what this check does not understand or the header lacks: {crit}")
    if any(name not in crit for name in UNDERSTOOD if name in header):
        raise SystemExit(f"an Open Banking claim or b64 is not in crit: {crit}")
    if abs(header[OB + "iat"] - time.time()) > 60:
        raise SystemExit(f"iat is not fresh: {header[OB + 'iat']}")
    payload = body if header.get("b64", True) is False else b64url_encode(body).encode()
    try:
        public_key.verify(b64url_decode(signature_b64), header_b64.encode() + b"." + payload,
                          padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32), hashes.SHA256())
    except InvalidSignature:
        raise SystemExit("the x-jws-signature does NOT verify with the registered public key")
    return header


def main():
    with open(sys.argv[1] if len(sys.argv) > 1 else "ob-signing.pem", "rb") as f:
        public_key = serialization.load_pem_public_key(f.read())
    body = json.dumps({"Data": {"Permissions": ["ReadAccountsDetail", "ReadBalances"],
                                "ExpirationDateTime": "2027-05-02T00:00:00+00:00"}, "Risk": {}})
    answer = p11signd("POST", "/v1/schemes/ob-jws/sign", {"key": "ob-signing", "body": body})
    jws = answer["x-jws-signature"]
    header = check_detached(jws, body.encode(), public_key)
    print(f"header: {json.dumps(header)}", file=sys.stderr)
    print("x-jws-signature verified with python3-cryptography (PS256, crit checked)", file=sys.stderr)
    print(json.dumps({"headers": {"x-jws-signature": jws, "Content-Type": "application/json"}, "body": body}))


if __name__ == "__main__":
    main()
