#!/usr/bin/env bash
# Runs a provider page (docs/providers/NAME.md) the server way, as written: its ```sh blocks, in order,
# unchanged, in one bash with -e, as an administrator "admin" who has sudo, on a throwaway Debian server:
# this machine seen through an overlay (chrooted, in private mount, PID and network namespaces; every write
# vanishes with it) on which p11signd is installed and running as docs/deploy.md steps 1-4 leave it:
#   - the project's install rules (cmake --install, the files of the .deb) and the package's postinst
#     (systemd-sysusers and systemd-tmpfiles with the shipped files: user p11signd and the groups);
#   - a SoftHSM token "payments" made as the user p11signd with the shipped /etc/p11signd/softhsm2.conf,
#     its PIN in /etc/p11signd/pin (root, 0600), the drop-in softhsm.conf in /etc/systemd/system/;
#   - p11signd.socket started: the daemon starts on the first connection, as its user, with the PIN as a
#     credential, from the installed units (see tests/providers/server/systemctl).
# Real here: sudo (Debian's package) and its PAM, users and groups, the socket's owner, group and mode, the
# daemon's user and files, the examples' interpreters. Stood in for, and only that, because systemd is not
# PID 1: systemctl (tests/providers/server/systemctl: socket activation by systemd-socket-activate, reload by
# SIGHUP waiting for the daemon's answer) and the journal (a file, printed when a step fails); the admin's
# password (sudoers NOPASSWD). Exits 77 (skipped) without root or mount namespaces.
# usage: run_page_server.sh SOURCE_DIR BUILD_DIR NAME
set -euo pipefail

# shellcheck source=server/throwaway_server.sh
source "$(dirname "$0")/server/throwaway_server.sh"
if [[ "${1:-}" != --inside ]]; then
  src=$(cd "${1:?usage: run_page_server.sh SOURCE_DIR BUILD_DIR NAME}" && pwd)
  build=$(cd "${2:?}" && pwd)
  enter_throwaway_namespaces "$0" "$src" "$build" "${3:?}"
fi

scratch=$2 src=$3 build=$4 name=$5
page=$src/docs/providers/$name.md
# docs/deploy.md step 1: the package's files and its postinst; an administrator with sudo.
make_throwaway_server "$src" "$build" "$scratch"

# Steps 2-4: the token as the daemon's user, the PIN, the drop-in, the socket.
label=$(sed -n 's/^uri = pkcs11:token=\([^; ]*\).*/\1/p' "$root/etc/p11signd/p11signd.conf")
[[ -n "$label" ]] || fail "no token label in the installed /etc/p11signd/p11signd.conf"
pin=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
in_root runuser -u p11signd -- env SOFTHSM2_CONF=/etc/p11signd/softhsm2.conf softhsm2-util --init-token --free \
  --label "$label" --so-pin "$pin-so" --pin "$pin" >/dev/null || fail "softhsm2-util --init-token as p11signd"
install -m 0600 -o root -g root /dev/null "$root/etc/p11signd/pin"
printf '%s\n' "$pin" >"$root/etc/p11signd/pin"
install -D -m 0644 "$root/usr/share/p11signd/p11signd.service.d/softhsm.conf" \
  "$root/etc/systemd/system/p11signd.service.d/softhsm.conf"
in_root systemctl daemon-reload
in_root systemctl enable --now p11signd.socket >/dev/null || fail "systemctl enable --now p11signd.socket"

# The page, as the administrator, in a login-like environment.
"$src/tests/providers/page_blocks.sh" "$page" server >"$root/tmp/steps.sh" || exit 1
chmod 0644 "$root/tmp/steps.sh"
if ! in_root runuser -u admin -- env HOME=/home/admin USER=admin LOGNAME=admin SHELL=/bin/bash LANG=C.UTF-8 \
  bash -c 'set -euo pipefail; cd; set -x; source /tmp/steps.sh'; then
  fail "a step of docs/providers/$name.md failed on the server"
fi
echo "ok: every server step of docs/providers/$name.md ran"
