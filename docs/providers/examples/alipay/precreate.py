#!/usr/bin/python3
"""Signs an Alipay alipay.trade.precreate request (a QR-code payment, RSA2) through p11signd and
checks `sign` the way Alipay does, with the `cryptography` package (Debian: python3-cryptography) and
the application public key uploaded to Alipay (one line of base64 SubjectPublicKeyInfo). Prints the
form body to POST to the gateway.

usage: python3 precreate.py APP_PUBLIC_KEY_B64
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


def alipay_signed_text(params):
    """Every parameter but sign, non-empty, sorted by name, k=v joined by '&', not URL-encoded."""
    kept = {k: v for k, v in params.items() if k != "sign" and str(v).strip()}
    return "&".join(f"{k}={kept[k]}" for k in sorted(kept, key=lambda k: k.encode()))


def main():
    with open(sys.argv[1] if len(sys.argv) > 1 else "alipay-app1.b64", encoding="ascii") as f:
        public_key = serialization.load_der_public_key(base64.b64decode(f.read().strip()))
    # app_id, sign_type and charset come from the daemon; biz_content is serialised once by it.
    answer = p11signd("POST", "/v1/schemes/alipay/sign", {
        "key": "alipay-app1",
        "params": {
            "method": "alipay.trade.precreate",
            "format": "JSON",
            "timestamp": time.strftime("%Y-%m-%d %H:%M:%S"),
            "version": "1.0",
            "notify_url": "https://shop.example/alipay-notify",
            "biz_content": {"out_trade_no": f"order-{int(time.time())}", "total_amount": "88.88",
                            "subject": "Teapot"},
        },
    })
    try:
        public_key.verify(base64.b64decode(answer["sign"]), alipay_signed_text(answer["params"]).encode(),
                          padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise SystemExit("sign does NOT verify with the application public key")
    print(f"biz_content sent: {answer['params']['biz_content']}", file=sys.stderr)
    print("sign verified with python3-cryptography and the application public key", file=sys.stderr)
    print(answer["form"])


if __name__ == "__main__":
    main()
