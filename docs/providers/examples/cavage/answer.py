#!/usr/bin/python3
"""Checks a bank's signed answer through p11signd: the headers and body as received go to the
daemon's cavage verify with the bank's certificate ([peer.NAME]); prints the headers the signature
covers, and exits 1 when the answer is not valid (a changed body, a header or signature).

usage: python3 answer.py ANSWER.json   (a JSON object {"headers": {...}, "body": "..."})
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


def p11signd(method, route, body):
    path = os.environ.get("P11SIGN_SOCKET", "/run/p11signd/p11signd.sock")
    conn = UnixHTTPConnection(path)
    try:
        conn.request(method, route, body=json.dumps(body), headers={"Content-Type": "application/json"})
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
    result = p11signd("POST", "/v1/schemes/cavage/verify",
                      {"peer": "bank", "headers": answer["headers"], "body": answer["body"]})
    if not result["valid"]:
        print(f"the bank's answer is not valid: {result['reason']}")
        sys.exit(1)
    print("covered: " + " ".join(result["covered_headers"]))
    print(f"keyId: {result['key_id']}")
    print("the bank's answer is valid")


if __name__ == "__main__":
    main()
