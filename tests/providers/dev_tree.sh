# Sourced by the runners of pages against `p11signd --dev` (tests/providers/run_page_dev.sh,
# tests/docs/run_readme_dev.sh): a stand-in for a built source tree - a directory whose docs/ is this
# source tree's and whose build/bin/ holds the p11signd and p11sign under test - where
# `build/bin/p11signd --dev` runs in the background, as scripts/dev runs it, removed at exit.
# shellcheck shell=bash

# start_dev_tree SOURCE_DIR BIN_DIR: sets tree and daemon_pid; returns once the daemon's socket exists.
start_dev_tree() {
  tree=$(mktemp -d)
  daemon_pid=
  trap 'stop_dev_tree' EXIT
  ln -s "$1/docs" "$tree/docs"
  mkdir "$tree/build"
  ln -s "$2" "$tree/build/bin"
  (cd "$tree" && exec build/bin/p11signd --dev) >"$tree/daemon.log" 2>&1 &
  daemon_pid=$!
  local socket=$tree/.p11signd-dev/p11signd.sock
  # Token set-up and RSA key generation take seconds under ASan on a loaded machine.
  for _ in $(seq 600); do
    [[ -S "$socket" ]] && return 0
    kill -0 "$daemon_pid" 2>/dev/null || { cat "$tree/daemon.log"; exit 1; }
    sleep 0.1
  done
  echo "FAIL: the dev daemon did not start within 60 s"
  cat "$tree/daemon.log"
  exit 1
}

stop_dev_tree() {
  [[ -n "$daemon_pid" ]] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
  rm -rf "$tree"
}

# run_dev_steps WHAT: runs $tree/steps.sh in the tree (Debian's /usr/bin first in PATH); WHAT names them
# in the verdict.
run_dev_steps() {
  if ! (cd "$tree" && PATH=/usr/bin:$PATH bash -c 'set -euo pipefail; set -x; source steps.sh'); then
    echo "FAIL: a step of $1 failed; the daemon said:"
    cat "$tree/daemon.log"
    exit 1
  fi
  echo "ok: every step of $1 ran"
}
