#!/usr/bin/python3
"""ob-jws and client-assertion against jwcrypto (Debian python3-jwcrypto), an implementation we did not write.

Usage: jose_interop.py JOSE_INTEROP_TOOL

1. What the schemes sign, jwcrypto verifies: both ob-jws variants (RFC 7797 b64:false, and the b64-less form) as
   detached JWS with the body as sent and the Open Banking claims registered as understood crit names; client
   assertions and request objects as JWTs with their claims checked. jwcrypto must also refuse them when the body
   or a claim changes, and refuse an ob-jws header when the OB names are not registered (it honours crit), so
   that a pass here means something.
2. What jwcrypto signs with its own key, the schemes verify, and refuse once changed.
Exit 0 when all hold, 1 naming each failure, 77 (skipped) when jwcrypto is not installed.
"""

import json
import subprocess
import sys
import time

try:
    from jwcrypto import jwk, jws, jwt
    from jwcrypto.common import JWSEHeaderParameter, base64url_encode, json_decode
except ImportError:
    print("SKIP: jwcrypto is not installed (Debian package python3-jwcrypto)")
    sys.exit(77)

OB = "http://openbanking.org.uk/"
OB_CLAIMS = [OB + "iat", OB + "iss", OB + "tan"]
OB_REGISTRY = {name: JWSEHeaderParameter("Open Banking " + name, True, True, None) for name in OB_CLAIMS}
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def detached_valid(token, body, key, registry=OB_REGISTRY):
    """jwcrypto's verdict on a detached JWS (header..signature) with the body as sent."""
    obj = jws.JWS(header_registry=registry)
    try:
        obj.deserialize(token)
        obj.objects["payload"] = body
        obj.verify(key)
    except Exception:  # jwcrypto raises for a bad signature and for a refused header alike
        return False
    return obj.is_valid


def jwt_claims(token, key, check_claims):
    """The claims when jwcrypto accepts the JWT (signature, exp, nbf and check_claims), else None."""
    try:
        return json.loads(jwt.JWT(jwt=token, key=key, check_claims=check_claims).claims)
    except Exception:
        return None


def verify_emitted(tool):
    emitted = json.loads(subprocess.run([tool, "emit"], check=True, capture_output=True).stdout)
    key = jwk.JWK.from_pem(emitted["public_key_pem"].encode())
    now = emitted["now"]
    for case in emitted["cases"]:
        name, answer = case["name"], case["answer"]
        if case["scheme"] == "ob-jws":
            verify_ob_jws(name, answer, case["body"].encode(), key, now)
        elif "request" in answer:
            verify_request_object(name, answer["request"], key)
        else:
            verify_assertion(name, answer, key)


def verify_ob_jws(name, answer, body, key, now):
    token = answer["x-jws-signature"]
    header = json_decode(jws.base64url_decode(token.split(".")[0]))
    unencoded = name.endswith("v3.1.3")
    check(header.get("b64") is (False if unencoded else None), name + ": b64 as the variant says")
    check(header["crit"] == (["b64"] if unencoded else []) + OB_CLAIMS, name + ": crit names the OB claims")
    check(header["typ"] == "JOSE" and header["cty"] == "application/json", name + ": typ and cty")
    check(abs(header[OB + "iat"] - now) < 60, name + ": iat is now")
    check(detached_valid(token, body, key), name + ": jwcrypto verifies the detached JWS with the body")
    check(not detached_valid(token, body + b" ", key), name + ": jwcrypto refuses a changed body")
    check(not detached_valid(token, body, key, registry=None), name + ": jwcrypto refuses unregistered crit")
    if not unencoded:
        # The b64-less form is plain RFC 7515 once the payload is put back.
        parts = token.split(".")
        compact = parts[0] + "." + base64url_encode(body) + "." + parts[2]
        check(detached_valid(compact, body, key), name + ": the attached form verifies too")


def verify_assertion(name, answer, key):
    token = answer["client_assertion"]
    check(answer["form"] == {"client_assertion_type": ASSERTION_TYPE, "client_assertion": token},
          name + ": form fields")
    want = {"iss": "s6BhdRkqt3", "sub": "s6BhdRkqt3", "aud": "https://as.example/token", "exp": None,
            "iat": None, "jti": None}
    claims = jwt_claims(token, key, want)
    check(claims is not None and claims["x"] == "\u00fc", name + ": jwcrypto accepts the assertion")
    check(claims is not None and claims["exp"] - claims["iat"] == 300, name + ": lifetime 300 s")
    check(jwt_claims(token, key, dict(want, aud="https://other.example")) is None,
          name + ": jwcrypto refuses another audience")


def verify_request_object(name, token, key):
    header = json_decode(jws.base64url_decode(token.split(".")[0]))
    check(header.get("typ") == "oauth-authz-req+jwt", name + ": typ")
    claims = jwt_claims(token, key, {"iss": "s6BhdRkqt3", "aud": "https://as.example/token",
                                     "client_id": "s6BhdRkqt3", "exp": None, "nbf": None})
    check(claims is not None and claims["scope"] == "openid payments",
          name + ": jwcrypto accepts the request object")


def ob_detached(key, body, unencoded, now):
    """jwcrypto's detached JWS over body (text: its JSON serialisation cannot carry bytes)."""
    header = {"alg": "PS256", "kid": "their-kid"}
    if unencoded:
        header["b64"] = False
    header.update({OB + "iat": now, OB + "iss": "their-org/their-software", OB + "tan": "openbanking.org.uk",
                   "typ": "JOSE", "cty": "application/json",
                   "crit": (["b64"] if unencoded else []) + OB_CLAIMS})
    obj = jws.JWS(payload=body, header_registry=OB_REGISTRY)
    obj.add_signature(key, None, protected=json.dumps(header))
    general = json.loads(obj.serialize())
    return general["protected"] + ".." + general["signature"]


def signed_jwt(key, header, claims):
    token = jwt.JWT(header=header, claims=claims)
    token.make_signed_token(key)
    return token.serialize()


def verify_foreign(tool):
    key = jwk.JWK.generate(kty="RSA", size=2048)
    now = int(time.time())
    body = '{"Data":{"Amount":"10.00"},"Note":"a.b"}'
    base = {"iss": "c-1", "sub": "c-1", "aud": "https://as.example/token", "jti": "j-1", "iat": now,
            "exp": now + 120}
    request = {"iss": "c-1", "aud": "https://as.example/token", "client_id": "c-1", "jti": "j-2",
               "iat": now, "nbf": now, "exp": now + 120, "response_type": "code"}
    cases = []
    for unencoded in (True, False):
        token = ob_detached(key, body, unencoded, now)
        label = "ob-jws " + ("v3.1.3" if unencoded else "v3.1.4")
        cases.append({"name": label, "scheme": "ob-jws", "input": {"x-jws-signature": token, "body": body},
                      "want": True})
        cases.append({"name": label + " changed body", "scheme": "ob-jws",
                      "input": {"x-jws-signature": token, "body": body.replace("10.00", "10.01")},
                      "want": False})
    for alg in ("RS256", "PS256"):
        assertion = signed_jwt(key, {"alg": alg, "kid": "k"}, base)
        cases.append({"name": "client-assertion " + alg, "scheme": "client-assertion",
                      "input": {"client_assertion": assertion, "aud": "https://as.example/token"},
                      "want": True})
        cases.append({"name": "client-assertion " + alg + " other aud", "scheme": "client-assertion",
                      "input": {"client_assertion": assertion, "aud": "https://other.example"}, "want": False})
    expired = signed_jwt(key, {"alg": "RS256"}, dict(base, iat=now - 600, exp=now - 300))
    cases.append({"name": "client-assertion expired", "scheme": "client-assertion",
                  "input": {"client_assertion": expired, "aud": "https://as.example/token"}, "want": False})
    typed = signed_jwt(key, {"alg": "PS256", "typ": "oauth-authz-req+jwt"}, request)
    cases.append({"name": "request-object", "scheme": "client-assertion",
                  "input": {"request": typed, "aud": "https://as.example/token"}, "want": True})
    pem = key.export_to_pem().decode()
    query = {"public_key_pem": pem, "cases": [{k: c[k] for k in ("name", "scheme", "input")} for c in cases]}
    answers = json.loads(subprocess.run([tool, "verify"], input=json.dumps(query).encode(), check=True,
                                        capture_output=True).stdout)
    for c in cases:
        got = answers[c["name"]]
        check(got["valid"] is c["want"],
              "the scheme says valid=%s for jwcrypto's %s (%s)" % (c["want"], c["name"], got["reason"]))


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    verify_emitted(sys.argv[1])
    verify_foreign(sys.argv[1])
    if failures:
        print("%d failed" % len(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
