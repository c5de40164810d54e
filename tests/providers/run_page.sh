#!/usr/bin/env bash
# Runs a provider onboarding page (docs/providers/NAME.md) as written, against a live `p11signd --dev`.
#
# Every ```sh block of the page runs, in order, in one bash with -e, in a fresh copy of
# docs/providers/examples/NAME/, as the user running the test (an admin of the dev daemon). What the
# page cannot run here is stood in for, and only that:
#   - /etc/p11signd/ is the dev directory (whose configuration file is also p11signd.conf);
#   - the web server's group www-data, to which pages give their keys, is the test user's own group;
#   - `sudo CMD` runs CMD; `systemctl reload p11signd` sends SIGHUP and waits for the daemon to say
#     it reloaded (a refused reload fails the test with the daemon's reason);
#   - files a provider hands out are copied in as the page's `<!-- fixture: FILE = PATH -->` lines say
#     (PATH relative to the source tree);
#   - p11sign, p11signd and Debian's python3 come first in PATH.
# usage: run_page.sh SOURCE_DIR BIN_DIR NAME
set -euo pipefail

src=$(cd "${1:?usage: run_page.sh SOURCE_DIR BIN_DIR NAME}" && pwd)
bin=$(cd "${2:?}" && pwd)
name=${3:?}
page="$src/docs/providers/$name.md"

work=$(mktemp -d)
dev="$work/dev"
daemon_pid=
cleanup() {
  [[ -n "$daemon_pid" ]] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

"$bin/p11signd" --dev --dev-dir "$dev" >"$work/daemon.log" 2>&1 &
daemon_pid=$!
# Token set-up and RSA key generation take seconds under ASan on a loaded machine.
for _ in $(seq 600); do
  [[ -S "$dev/p11signd.sock" ]] && break
  kill -0 "$daemon_pid" 2>/dev/null || { cat "$work/daemon.log"; exit 1; }
  sleep 0.1
done
[[ -S "$dev/p11signd.sock" ]] || { echo "FAIL: the dev daemon did not start within 60 s"; cat "$work/daemon.log"; exit 1; }

mkdir "$work/run"
cp -r "$src/docs/providers/examples/$name/." "$work/run/"
while read -r file path; do
  cp "$src/$path" "$work/run/$file"
done < <(sed -n 's/^<!-- fixture: \([^ ]*\) = \([^ ]*\) -->$/\1 \2/p' "$page")

# The page's shell blocks, with /etc/p11signd/ pointing at the dev directory.
awk '/^```sh$/ {on = 1; next} /^```$/ {on = 0} on' "$page" | sed -e "s|/etc/p11signd/|$dev/|g" \
  -e "s|www-data|$(id -gn)|g" >"$work/steps.sh"
[[ -s "$work/steps.sh" ]] || { echo "FAIL: no sh blocks in $page"; exit 1; }

cat >"$work/prelude.sh" <<EOF
set -euo pipefail
export PATH="$bin:/usr/bin:\$PATH" P11SIGN_SOCKET="$dev/p11signd.sock"
sudo() { "\$@"; }
systemctl() {
  local -
  set +x
  [[ "\$*" == "reload p11signd" ]] || { echo "systemctl \$* is not stood in for" >&2; return 1; }
  local before after
  before=\$(grep -c 'reloaded\|reload refused' "$work/daemon.log" || true)
  kill -HUP $daemon_pid
  for _ in \$(seq 600); do
    after=\$(grep -c 'reloaded\|reload refused' "$work/daemon.log" || true)
    (( after > before )) && break
    sleep 0.05
  done
  if (( after <= before )); then
    echo "systemctl reload p11signd: the daemon did not say it reloaded (or refused) within 30 s" >&2
    return 1
  fi
  if grep -q 'reload refused' "$work/daemon.log"; then grep 'reload refused' "$work/daemon.log" >&2; return 1; fi
}
set -x
EOF

cd "$work/run"
if ! bash -c "source '$work/prelude.sh'; source '$work/steps.sh'"; then
  echo "FAIL: a step of $page failed; the daemon said:"
  cat "$work/daemon.log"
  exit 1
fi
echo "ok: every step of docs/providers/$name.md ran"
