#!/usr/bin/env bash
# RFC 9421 interop: the httpsig scheme's signatures checked by an implementation we did not write,
# the npm package http-message-signatures (pinned below; no Debian package implements RFC 9421),
# and that package's signatures checked by the scheme, for each algorithm with the RFC's B.1 keys.
# The package is installed once into a cache directory; without the registry the test SKIPs (77).
# usage: httpsig_interop.sh SOURCE_DIR HTTPSIG_TOOL
set -euo pipefail
src=${1:?usage: httpsig_interop.sh SOURCE_DIR HTTPSIG_TOOL}
tool=${2:?usage: httpsig_interop.sh SOURCE_DIR HTTPSIG_TOOL}
package=http-message-signatures@1.0.6
cache=${P11SIGND_NPM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/p11signd/npm}/$package

command -v node >/dev/null && command -v npm >/dev/null || { echo "SKIP: node and npm are not installed"; exit 77; }
if [[ ! -f "$cache/node_modules/http-message-signatures/package.json" ]]; then
  mkdir -p "$cache"
  if ! timeout 180 npm install --prefix "$cache" --no-audit --no-fund --no-save "$package" \
      >"$cache/install.log" 2>&1; then
    echo "SKIP: cannot install $package from the npm registry (offline?); see $cache/install.log"
    exit 77
  fi
fi
NODE_PATH="$cache/node_modules" exec node "$src/tests/interop/httpsig_interop.js" \
  "$tool" "$src/schemes/testdata/httpsig"
