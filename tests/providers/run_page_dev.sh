#!/usr/bin/env bash
# Runs a provider page (docs/providers/NAME.md) the dev way, as written: its ```sh dev blocks, in order,
# unchanged, in one bash with -e, against `p11signd --dev` started the way scripts/dev starts it.
# The blocks run in a stand-in for a built source tree: a directory where docs/ is this source tree's and
# build/bin/ holds the p11signd and p11sign under test, and where `build/bin/p11signd --dev` runs (its
# .p11signd-dev/ is made there). What is arranged around the page, and only that:
#   - a private PID namespace where one is allowed (root, or a user namespace), so that the page's
#     `pgrep -u "$(id -u)" -x p11signd` finds this test's daemon and no other;
#   - Debian's /usr/bin first in PATH (its python3 has python3-cryptography; CI images may put another
#     python3 first).
# usage: run_page_dev.sh SOURCE_DIR BIN_DIR NAME
set -euo pipefail

if [[ "${1:-}" != --inside ]]; then
  : "${3:?usage: run_page_dev.sh SOURCE_DIR BIN_DIR NAME}"
  if ((EUID == 0)) && unshare --pid --fork --mount-proc true 2>/dev/null; then
    exec unshare --pid --fork --mount-proc "$0" --inside "$@"
  elif unshare --map-root-user --pid --fork --mount-proc true 2>/dev/null; then
    exec unshare --map-root-user --pid --fork --mount-proc "$0" --inside "$@"
  fi
  echo "note: no PID namespace here; the page's pgrep also sees this user's other p11signd processes"
  exec "$0" --inside "$@"
fi

src=$(cd "$2" && pwd)
bin=$(cd "$3" && pwd)
name=$4
page=$src/docs/providers/$name.md

source "$src/tests/providers/dev_tree.sh"
start_dev_tree "$src" "$bin"
"$src/tests/providers/page_blocks.sh" "$page" dev >"$tree/steps.sh"
run_dev_steps "the dev steps of docs/providers/$name.md"
