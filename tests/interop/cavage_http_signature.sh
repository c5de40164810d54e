#!/usr/bin/env bash
# The cavage scheme against an implementation of draft-cavage-http-signatures we did not write: joyent's
# http-signature (Debian package node-http-signature, in scripts/packages.txt). A key on a `p11signd --dev`
# token, with a certificate the daemon made for it, signs a NextGenPSD2 request; http-signature parses the
# Signature header and verifies it with the certificate's key, and the keyId is compared with what
# `openssl x509` prints for the certificate. Then http-signature signs a bank's answer and the daemon verifies
# it with the bank's key, and refuses it once the body is changed.
# usage: cavage_http_signature.sh SOURCE_DIR BIN_DIR
set -euo pipefail
src=$(cd "$1" && pwd)
bin=$(cd "$2" && pwd)
export NODE_PATH=/usr/share/nodejs
if ! node -e "require('http-signature')" 2>/dev/null; then
  echo "FAIL: Debian's node-http-signature is not installed (scripts/packages.txt lists it)"
  exit 1
fi

source "$src/tests/providers/dev_tree.sh"
start_dev_tree "$src" "$bin"
cd "$tree"
export P11SIGN_SOCKET=$tree/.p11signd-dev/p11signd.sock PATH=$bin:/usr/bin:$PATH
dev=$tree/.p11signd-dev
check=$src/tests/interop/cavage_check.js

p11sign keygen tpp1 --bits 2048 >/dev/null
p11sign certificate tpp1 --self-sign --subject "/C=DE/O=Interop TPP/CN=Interop QSeal" >/dev/null
p11sign certificate tpp1 >"$dev/tpp1-qseal.pem"
openssl x509 -in "$dev/tpp1-qseal.pem" -pubkey -noout >tpp1-public.pem
openssl genrsa -out bank-private.pem 2048 2>/dev/null
openssl rsa -in bank-private.pem -pubout -out "$dev/bank-public.pem" 2>/dev/null
cat >>"$dev/p11signd.conf" <<CONF

[key.tpp1]
label = tpp1
allow-uids = $(id -u)
schemes = cavage
cavage.certificate = $dev/tpp1-qseal.pem
cavage.headers = (request-target) digest x-request-id psu-id? date

[peer.bank]
scheme = cavage
public-key = $dev/bank-public.pem
CONF
kill -HUP "$daemon_pid"
for _ in $(seq 100); do
  p11sign keys | jq -e '.keys[] | select(.name == "tpp1") | .schemes | index("cavage")' >/dev/null && break
  sleep 0.3
done

call() {
  curl -sS --fail-with-body --unix-socket "$P11SIGN_SOCKET" -H 'Content-Type: application/json' \
    --data-binary @- "http://localhost$1"
}

request='{"method":"POST","url":"https://api.bank.example/v1/payments/sepa-credit-transfers?x=1",
  "headers":{"PSU-ID":"PSU-1234","Content-Type":"application/json"},
  "body":"{\"instructedAmount\":{\"currency\":\"EUR\",\"amount\":\"123.50\"}}"}'
# through the client, as an application's shell script would
answer=$(jq '. + {key: "tpp1"}' <<<"$request" | p11sign scheme cavage sign --in -)
jq -n --argjson request "$request" --argjson answer "$answer" '{$request, $answer}' >signed.json
out=$(node "$check" verify signed.json tpp1-public.pem)
echo "$out"
serial=$(openssl x509 -in "$dev/tpp1-qseal.pem" -noout -serial | cut -d= -f2)
issuer=$(openssl x509 -in "$dev/tpp1-qseal.pem" -noout -issuer -nameopt RFC2253,-esc_msb | sed 's/^issuer=//')
[[ "$out" == *"keyId=SN=$serial,CA=$issuer"* ]] || { echo "FAIL: keyId is not SN=$serial,CA=$issuer"; exit 1; }
jq -e '.headers["TPP-Signature-Certificate"]' <<<"$answer" | tr -d '"' | base64 -d |
  cmp - <(openssl x509 -in "$dev/tpp1-qseal.pem" -outform der) ||
  { echo "FAIL: TPP-Signature-Certificate is not the certificate's DER"; exit 1; }

node "$check" sign bank-private.pem >bank-answer.json
valid=$(jq '. + {peer: "bank"}' bank-answer.json | p11sign scheme cavage verify --in -)
echo "$valid"
jq -e '.valid == true and .covered_headers == ["digest","x-request-id","date"]' <<<"$valid" >/dev/null ||
  { echo "FAIL: the daemon does not verify http-signature's answer"; exit 1; }
forged=$(jq '.body |= sub("RCVD"; "ACSC") | . + {peer: "bank"}' bank-answer.json | call /v1/schemes/cavage/verify)
jq -e '.valid == false' <<<"$forged" >/dev/null || { echo "FAIL: a changed body verified: $forged"; exit 1; }
echo "ok: http-signature verifies the daemon's cavage signature and the daemon verifies http-signature's"
