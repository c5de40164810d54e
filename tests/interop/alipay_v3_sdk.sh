#!/usr/bin/env bash
# The alipay-v3 scheme against Alipay's own Node SDK (npm alipay-sdk, pinned below, installed into a cache
# directory; SKIP when the npm registry cannot be reached). A software key imported into a `p11signd --dev`
# token signs a v3 request; the SDK, given the same key and the daemon's nonce and timestamp, signs the same
# request, and the two authorization headers must be identical. The SDK verifies an answer signed by a
# stand-in Alipay key, and the daemon must verify that answer too (and refuse it changed).
# usage: alipay_v3_sdk.sh SOURCE_DIR BIN_DIR
set -euo pipefail
src=$(cd "$1" && pwd)
bin=$(cd "$2" && pwd)
sdk_version=4.14.0
cache=${P11SIGND_NPM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/p11signd-npm}/alipay-sdk-$sdk_version
if [[ ! -d "$cache/node_modules/alipay-sdk" ]]; then
  mkdir -p "$cache"
  if ! timeout 300 npm install --prefix "$cache" "alipay-sdk@$sdk_version" --no-audit --no-fund \
    --loglevel=error >"$cache/install.log" 2>&1; then
    echo "SKIP: alipay-sdk@$sdk_version could not be installed from the npm registry:"
    tail -5 "$cache/install.log"
    rm -rf "$cache"
    exit 77
  fi
fi

source "$src/tests/providers/dev_tree.sh"
start_dev_tree "$src" "$bin"
cd "$tree"
export P11SIGN_SOCKET=$tree/.p11signd-dev/p11signd.sock PATH=$bin:/usr/bin:$PATH
dev=$tree/.p11signd-dev

openssl genrsa -out app-private.pem 2048 2>/dev/null
openssl genrsa -out alipay-private.pem 2048 2>/dev/null
openssl rsa -in alipay-private.pem -pubout -out "$dev/alipay-public.pem" 2>/dev/null
p11sign import alipay-interop --in app-private.pem >/dev/null
cat >>"$dev/p11signd.conf" <<CONF

[key.alipay-interop]
label = alipay-interop
allow-uids = $(id -u)
schemes = alipay-v3
alipay-v3.app-id = 2021000000000000

[peer.alipay]
scheme = alipay-v3
public-key = $dev/alipay-public.pem
CONF
kill -HUP "$daemon_pid"
for _ in $(seq 100); do
  p11sign keys | jq -e '.keys[] | select(.name == "alipay-interop") | .schemes | index("alipay-v3")' \
    >/dev/null && break
  sleep 0.3
done

call() {
  curl -sS --fail-with-body --unix-socket "$P11SIGN_SOCKET" -H 'Content-Type: application/json' \
    --data-binary @- "http://localhost$1"
}

body='{"out_trade_no":"20150320010101001","query_options":["trade_settle_info"]}'
signed=$(jq -n --arg body "$body" '{key: "alipay-interop", method: "POST",
  url: "https://openapi.alipay.com/v3/alipay/trade/query", $body, app_auth_token: "202311BBxxxx"}' |
  p11sign scheme alipay-v3 sign --in -)
jq --arg body "$body" '{authorization, nonce, timestamp, $body, app_id: "2021000000000000",
  app_auth_token: "202311BBxxxx"}' <<<"$signed" >daemon.json
sdk=$(node "$src/tests/interop/alipay_v3_check.js" "$cache" app-private.pem alipay-private.pem \
  "$dev/alipay-public.pem" daemon.json)
daemon_auth=$(jq -r .authorization daemon.json)
sdk_auth=$(jq -r .sdk_authorization <<<"$sdk")
echo "daemon: $daemon_auth"
echo "sdk:    $sdk_auth"
[[ "$daemon_auth" == "$sdk_auth" ]] || { echo "FAIL: the authorization headers differ"; exit 1; }

valid=$(jq '.answer + {peer: "alipay"}' <<<"$sdk" | p11sign scheme alipay-v3 verify --in -)
jq -e '.valid == true' <<<"$valid" >/dev/null || { echo "FAIL: the answer the SDK accepted: $valid"; exit 1; }
forged=$(jq '.answer | .body |= sub("TRADE_SUCCESS"; "TRADE_CLOSED") | . + {peer: "alipay"}' <<<"$sdk" |
  call /v1/schemes/alipay-v3/verify)
jq -e '.valid == false' <<<"$forged" >/dev/null || { echo "FAIL: a changed answer verified"; exit 1; }
echo "ok: alipay-sdk@$sdk_version signs exactly as the daemon, and both verify the same answer"
