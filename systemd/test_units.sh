#!/usr/bin/env bash
# Checks the unit files: `systemd-analyze verify` must accept them without a single warning, and
# `systemd-analyze security --offline=true` must score the service at or below a ceiling, alone and with each
# drop-in; the socket's group must be the clients' own, not the daemon's; the sysusers and tmpfiles snippets
# must create the user, groups and directories the units name.
# Exits 77 (skipped) when systemd-analyze is not installed.
# Every man page a unit's Documentation= names must be one the build makes (in MAN_DIR, as NAME.N.gz).
# usage: test_units.sh SYSTEMD_DIR MAN_DIR
set -euo pipefail

src=$(cd "${1:?usage: test_units.sh SYSTEMD_DIR MAN_DIR}" && pwd)
man_dir=${2:?usage: test_units.sh SYSTEMD_DIR MAN_DIR}
if ! command -v systemd-analyze >/dev/null; then
  echo "SKIP: systemd-analyze not found"
  exit 77
fi

# Exposure ceilings in tenths (systemd-analyze --threshold= units). The base unit scores 0.6 on systemd 252;
# a drop-in may only relax what its token kind needs.
declare -A ceiling=([base]=10 [softhsm]=10 [usb-hsm]=15 [network-hsm]=20)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

# verify checks that ExecStart= exists; p11signd is not installed here, so a stand-in takes its place.
printf '#!/bin/sh\n' >"$work/p11signd"
chmod +x "$work/p11signd"

check() {  # check NAME [DROPIN]
  local name=$1 dir="$work/$1" out
  mkdir -p "$dir"
  sed "s|/usr/bin/p11signd|$work/p11signd|" "$src/p11signd.service" >"$dir/p11signd.service"
  cp "$src/p11signd.socket" "$dir/"
  if [[ $# -gt 1 ]]; then
    mkdir -p "$dir/p11signd.service.d"
    cp "$2" "$dir/p11signd.service.d/"
  fi
  # --man=no: the man pages are not installed here; they are checked against MAN_DIR below.
  if ! out=$(cd "$dir" && systemd-analyze verify --man=no ./p11signd.service ./p11signd.socket 2>&1) ||
    [[ -n "$out" ]]; then
    echo "FAIL [$name] systemd-analyze verify:"
    echo "$out"
    failures=$((failures + 1))
  fi
  if ! out=$(cd "$dir" && systemd-analyze security --offline=true --threshold="${ceiling[$name]}" \
    ./p11signd.service 2>&1); then
    echo "FAIL [$name] exposure above ${ceiling[$name]}/10:"
    echo "$out" | grep -E '^✗|Overall'
    failures=$((failures + 1))
  else
    echo "ok   [$name] $(echo "$out" | grep Overall)"
  fi
}

check base
for dropin in "$src"/p11signd.service.d/*.conf; do
  check "$(basename "$dropin" .conf)" "$dropin"
done

# Documentation=man:NAME(N) in the units: the build renders NAME.N.gz.
for unit in "$src/p11signd.service" "$src/p11signd.socket"; do
  while read -r page; do
    file=$(sed -E 's/^(.*)\(([0-9])\)$/\1.\2.gz/' <<<"$page")
    if [[ -s "$man_dir/$file" ]]; then
      echo "ok   [$(basename "$unit")] Documentation=man:$page is $file"
    else
      echo "FAIL $(basename "$unit") names man:$page, but the build makes no $man_dir/$file"
      failures=$((failures + 1))
    fi
  done < <(grep '^Documentation=' "$unit" | grep -o 'man:[^ ]*' | sed 's/^man://')
done

# The socket's group is the clients' own, not the daemon's (which may read /etc/p11signd).
unit_value() { sed -n "s/^$2=//p" "$src/$1" | tail -1; }
socket_group=$(unit_value p11signd.socket SocketGroup)
service_group=$(unit_value p11signd.service Group)
if [[ "$socket_group" == p11signd-clients && "$service_group" == p11signd ]]; then
  echo "ok   [groups] socket group $socket_group, daemon group $service_group"
else
  echo "FAIL the socket's group is '$socket_group' and the daemon's '$service_group':" \
    "clients must get p11signd-clients, separate from the daemon's p11signd"
  failures=$((failures + 1))
fi

# The sysusers snippet, applied to an empty root: it must create the user and the groups the units name.
if command -v systemd-sysusers >/dev/null; then
  mkdir -p "$work/root/etc"
  if ! out=$(systemd-sysusers --root="$work/root" "$src/p11signd.sysusers.conf" 2>&1) ||
    ! grep -q '^p11signd:x:[0-9]*:[0-9]*:.*:/usr/sbin/nologin$' "$work/root/etc/passwd" ||
    ! grep -q "^$service_group:x:" "$work/root/etc/group" ||
    ! grep -q "^$socket_group:x:[0-9]*:$" "$work/root/etc/group"; then
    echo "FAIL sysusers snippet:"
    echo "$out"
    failures=$((failures + 1))
  else
    echo "ok   [sysusers] user p11signd, groups $service_group and $socket_group (no members)"
  fi
fi

# The tmpfiles snippet, applied to the same root (it names the user just created there): every directory with
# its mode and owner. Changing owners needs root; elsewhere only the modes are checked.
if command -v systemd-tmpfiles >/dev/null && [[ -f "$work/root/etc/passwd" ]]; then
  expect=("etc/p11signd 750 root p11signd" "var/lib/p11signd 750 p11signd p11signd"
    "var/lib/p11signd/tokens 700 p11signd p11signd" "var/log/p11signd 750 p11signd p11signd")
  out=$(systemd-tmpfiles --create --root="$work/root" "$src/p11signd.tmpfiles.conf" 2>&1) || true
  ids() {  # ids passwd|group NAME: the number NAME has in the test root (root is 0 everywhere)
    if [[ $2 == root ]]; then echo 0; else awk -F: -v n="$2" '$1 == n { print $3 }' "$work/root/etc/$1"; fi
  }
  tmpfiles_ok=yes
  for e in "${expect[@]}"; do
    read -r path mode user group <<<"$e"
    want="$mode"
    ((EUID == 0)) && want="$mode $(ids passwd "$user") $(ids group "$group")"
    got=$(stat -c '%a %u %g' "$work/root/$path" 2>/dev/null || echo missing)
    ((EUID == 0)) || got=${got%% *}
    if [[ "$got" != "$want" ]]; then
      echo "FAIL tmpfiles snippet: /$path is '$got', expected '$want'"
      tmpfiles_ok=no
    fi
  done
  if [[ $tmpfiles_ok == yes ]]; then
    echo "ok   [tmpfiles] /etc/p11signd, /var/lib/p11signd, /var/lib/p11signd/tokens, /var/log/p11signd"
  else
    echo "$out"
    failures=$((failures + 1))
  fi
fi

((failures == 0)) || exit 1
echo "unit files: all checks passed"
