#!/usr/bin/env bash
# Runs README.md's quick start as written: its ```sh blocks (tests/docs/doc_blocks.sh; the ones it marks as
# not run say why in the README), in order, unchanged, in one bash with -e, from the top of a source tree
# where `scripts/dev` is running. The stand-in for that tree: a directory whose docs/ is this source tree's
# and whose build/bin/ holds the p11signd and p11sign under test, where `build/bin/p11signd --dev` runs in
# the background, as scripts/dev runs it (in the foreground of another terminal). In a private PID namespace
# where one is allowed, so that a `pgrep -x p11signd` finds this test's daemon and no other.
# usage: run_readme_dev.sh SOURCE_DIR BIN_DIR
set -euo pipefail

if [[ "${1:-}" != --inside ]]; then
  : "${2:?usage: run_readme_dev.sh SOURCE_DIR BIN_DIR}"
  if ((EUID == 0)) && unshare --pid --fork --mount-proc true 2>/dev/null; then
    exec unshare --pid --fork --mount-proc "$0" --inside "$@"
  elif unshare --map-root-user --pid --fork --mount-proc true 2>/dev/null; then
    exec unshare --map-root-user --pid --fork --mount-proc "$0" --inside "$@"
  fi
  exec "$0" --inside "$@"
fi

src=$(cd "$2" && pwd)
bin=$(cd "$3" && pwd)
tree=$(mktemp -d)
daemon_pid=
cleanup() {
  [[ -n "$daemon_pid" ]] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
  rm -rf "$tree"
}
trap cleanup EXIT
ln -s "$src/docs" "$tree/docs"
mkdir "$tree/build"
ln -s "$bin" "$tree/build/bin"
"$src/tests/docs/doc_blocks.sh" "$src/README.md" >"$tree/steps.sh"

(cd "$tree" && exec build/bin/p11signd --dev) >"$tree/daemon.log" 2>&1 &
daemon_pid=$!
socket=$tree/.p11signd-dev/p11signd.sock
# Token set-up and RSA key generation take seconds under ASan on a loaded machine.
for _ in $(seq 600); do
  [[ -S "$socket" ]] && break
  kill -0 "$daemon_pid" 2>/dev/null || { cat "$tree/daemon.log"; exit 1; }
  sleep 0.1
done
[[ -S "$socket" ]] || { echo "FAIL: the dev daemon did not start within 60 s"; cat "$tree/daemon.log"; exit 1; }

if ! (cd "$tree" && PATH=/usr/bin:$PATH bash -c 'set -euo pipefail; set -x; source steps.sh'); then
  echo "FAIL: a step of README.md failed; the daemon said:"
  cat "$tree/daemon.log"
  exit 1
fi
echo "ok: every step of README.md ran that it does not mark as not run"
