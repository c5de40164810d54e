#!/usr/bin/env bash
# Runs docs/deploy.md and then docs/operations.md as written, on a throwaway Debian server
# (tests/providers/server/throwaway_server.sh): their ```sh blocks, in order, unchanged, in one bash with -e,
# as an administrator "admin" with sudo, on a terminal where the PINs the pages ask for are typed
# (answer_pins.py). The server starts as the package leaves it: its files (cmake --install, the files of the
# .deb) and its postinst. The token, the PIN, the drop-in, the socket, the keys and the clients are the
# pages' own steps; the blocks a page marks as not run say why in the page (tests/docs/doc_blocks.sh), and
# are counted here.
# Stood in for, and only that, because systemd is not PID 1: systemctl (tests/providers/server/systemctl),
# systemd-run (tests/docs/server/systemd-run), the journal (a file, printed when a step fails), the admin's
# password (sudoers NOPASSWD). Exits 77 (skipped) without root or mount namespaces.
# usage: run_docs_server.sh SOURCE_DIR BUILD_DIR
set -euo pipefail

# shellcheck source=../providers/server/throwaway_server.sh
source "$(dirname "$0")/../providers/server/throwaway_server.sh"
if [[ "${1:-}" != --inside ]]; then
  src=$(cd "${1:?usage: run_docs_server.sh SOURCE_DIR BUILD_DIR}" && pwd)
  build=$(cd "${2:?usage: run_docs_server.sh SOURCE_DIR BUILD_DIR}" && pwd)
  enter_throwaway_namespaces "$0" "$src" "$build"
fi

scratch=$2 src=$3 build=$4
make_throwaway_server "$src" "$build" "$scratch"
install -m 0755 "$src/tests/docs/server/systemd-run" "$root/usr/local/bin/systemd-run"

for page in docs/deploy.md docs/operations.md; do
  echo "echo '=== $page'"
  "$src/tests/docs/doc_blocks.sh" "$src/$page"
done >"$root/tmp/steps.sh"
chmod 0644 "$root/tmp/steps.sh"

so_pin=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
user_pin=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
if ! "$src/tests/docs/answer_pins.py" "$so_pin" "$user_pin" \
  chroot "$root" env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  runuser -u admin -- env HOME=/home/admin USER=admin LOGNAME=admin SHELL=/bin/bash LANG=C.UTF-8 \
  bash -c 'set -euo pipefail; cd; set -x; source /tmp/steps.sh'; then
  fail "a step of docs/deploy.md or docs/operations.md failed on the server"
fi

# deploy.md step 4 says that a plain `sudo p11signd --check-config` answers with the command the page gives:
# it must, and that command must pass.
documented=$("$src/tests/docs/doc_blocks.sh" "$src/docs/deploy.md" 2>/dev/null | sed -e ':a' -e '/\\$/{N;s/\\\n *//;ba}' |
  sed -n 's/  *#.*//; /^sudo systemd-run /{p;q}')
[[ -n $documented ]] || fail "docs/deploy.md has no 'sudo systemd-run' check-config command"
status=0
answer=$(in_root runuser -u admin -- sudo p11signd --check-config 2>&1) || status=$?
((status == 78)) || fail "sudo p11signd --check-config exited $status, not 78: $answer"
suggested=$(sed -n 's/.*, run: //p' <<<"$answer")
[[ $suggested == "$documented" ]] ||
  fail "sudo p11signd --check-config suggests '$suggested', docs/deploy.md says '$documented'"
in_root runuser -u admin -- bash -c "$suggested" || fail "the suggested check, $suggested"
echo "ok: every step of docs/deploy.md and docs/operations.md ran that the pages do not mark as not run,"
echo "    and a plain sudo p11signd --check-config names the page's check command"
