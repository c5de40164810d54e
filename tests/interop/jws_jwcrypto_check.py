#!/usr/bin/python3
"""Checks the jws scheme's compact JWS with jwcrypto (Debian python3-jwcrypto), a JOSE implementation we
did not write: every line `jose_interop_tool jws` prints must verify, or be refused, as its "expect" says, with the alg
pinned to the line's and the payload as signed.

usage: jws_jwcrypto_check.py PATH-TO-jose_interop_tool"""
import json
import subprocess
import sys

try:
    from jwcrypto import jwk, jws
    from jwcrypto.common import base64url_decode
except ImportError:
    print("jws_jwcrypto_check: jwcrypto is missing: install Debian's python3-jwcrypto (scripts/packages.txt)",
          file=sys.stderr)
    sys.exit(1)


def verdict(line):
    key = jwk.JWK.from_pem(line["public_key_pem"].encode())
    token = jws.JWS()
    try:
        token.deserialize(line["jws"])
        token.verify(key, alg=line["alg"])
    except jws.InvalidJWSSignature:
        return "invalid", None
    return "valid", token.payload


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = subprocess.run([sys.argv[1], "jws"], check=True, capture_output=True, text=True).stdout
    lines = [json.loads(text) for text in out.splitlines()]
    failures = []
    for line in lines:
        got, payload = verdict(line)
        what = f'{line["alg"]} expected {line["expect"]}'
        if got != line["expect"]:
            failures.append(f"{what}, jwcrypto says {got}: {line['jws']}")
        elif got == "valid" and payload != base64url_decode(line["payload_b64"]):
            failures.append(f"{what}: the payload jwcrypto read differs from the one signed")
        else:
            print(f"ok: {what}")
    algs = {line["alg"] for line in lines if line["expect"] == "valid"}
    for alg in ("ES256", "ES384", "EdDSA", "RS256", "PS256"):
        if alg not in algs:
            failures.append(f"jose_interop_tool jws printed no {alg} JWS")
    for failure in failures:
        print("FAIL: " + failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
