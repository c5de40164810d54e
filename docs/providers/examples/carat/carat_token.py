#!/usr/bin/python3
"""Gets a signed Carat Portal JWT from p11signd and checks it with the `cryptography` package
(Debian: python3-cryptography) and the PEM .pub sent to Carat. Prints the JWT on standard output.

usage: python3 carat_token.py CARAT_PUB_PEM [SERVICE]
"""
import base64
import http.client
import json
import os
import socket
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding


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


def main():
    public_key_file = sys.argv[1] if len(sys.argv) > 1 else "carat-store1.pub"
    service = sys.argv[2] if len(sys.argv) > 2 else "transaction"
    # merchant_id, merchant_key (from the key's settings) and the millisecond timestamp are added
    # by the daemon; `service` makes it check the claims Carat requires for that call.
    answer = p11signd("POST", "/v1/schemes/carat/sign", {
        "key": "carat-store1",
        "service": service,
        "claims": {"order_id": "PED-2026-0042", "amount": "149.90", "installments": "3"},
    })
    jwt = answer["jwt"]
    header, payload, signature = jwt.split(".")
    assert json.loads(b64url_decode(header)) == {"alg": "RS256", "typ": "JWT"}, header

    with open(public_key_file, "rb") as f:
        public_key = serialization.load_pem_public_key(f.read())
    try:
        public_key.verify(b64url_decode(signature), f"{header}.{payload}".encode(),
                          padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise SystemExit("the JWT does NOT verify with the .pub sent to Carat")
    claims = json.loads(b64url_decode(payload))
    print(f"claims: {', '.join(claims)}", file=sys.stderr)
    print("RS256 verified with python3-cryptography and the .pub sent to Carat", file=sys.stderr)
    print(f"send: Authorization: {answer['authorization'][:40]}...", file=sys.stderr)
    print(jwt)


if __name__ == "__main__":
    main()
