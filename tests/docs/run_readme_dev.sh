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
source "$src/tests/providers/dev_tree.sh"
start_dev_tree "$src" "$bin"
"$src/tests/docs/doc_blocks.sh" "$src/README.md" >"$tree/steps.sh"
run_dev_steps "README.md that it does not mark as not run"
