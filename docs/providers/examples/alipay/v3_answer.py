#!/usr/bin/python3
"""Checks an Alipay OpenAPI v3 answer through p11signd: its alipay-timestamp, alipay-nonce and
alipay-signature headers and its body, as received, go to the daemon's alipay-v3 verify with the
Alipay public key ([peer.alipay-v3]). Exits 1 when the answer is not Alipay's.

usage: python3 v3_answer.py ANSWER.json   (a JSON object {"headers": {...}, "body": "..."})
"""
import http.client
import json
import os
import socket
import sys


class UnixHTTPConnection(http.client.HTTPConnection):
    """http.client over the daemon's Unix socket."""

    def __init__(self, path, timeout=10):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


def p11signd(route, body):
    path = os.environ.get("P11SIGN_SOCKET", "/run/p11signd/p11signd.sock")
    conn = UnixHTTPConnection(path)
    try:
        conn.request("POST", route, body=json.dumps(body), headers={"Content-Type": "application/json"})
    except OSError as e:
        raise SystemExit(f"cannot reach p11signd at {path} ({e.strerror}); set P11SIGN_SOCKET to the daemon's "
                         "socket, e.g. .p11signd-dev/p11signd.sock for scripts/dev")
    response = conn.getresponse()
    answer = json.loads(response.read())
    if response.status != 200:
        raise SystemExit(f"p11signd answered {response.status}: {answer['error']['message']}")
    return answer


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        answer = json.load(f)
    result = p11signd("/v1/schemes/alipay-v3/verify",
                      {"peer": "alipay-v3", "headers": answer["headers"], "body": answer["body"]})
    if not result["valid"]:
        print(f"not Alipay's answer: {result['reason']}")
        sys.exit(1)
    print("Alipay's answer: " + json.loads(answer["body"])["trade_status"])


if __name__ == "__main__":
    main()
