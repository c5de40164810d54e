#!/usr/bin/env bash
# Checks the unit files: `systemd-analyze verify` must accept them without a single warning, and
# `systemd-analyze security --offline=true` must score the service at or below a ceiling, alone and with each
# drop-in. Exits 77 (skipped) when systemd-analyze is not installed.
# usage: test_units.sh SYSTEMD_DIR
set -euo pipefail

src=$(cd "${1:?usage: test_units.sh SYSTEMD_DIR}" && pwd)
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
  if ! out=$(cd "$dir" && systemd-analyze verify ./p11signd.service ./p11signd.socket 2>&1) || [[ -n "$out" ]]; then
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

# The sysusers snippet, applied to an empty root: it must create the user and the group the units name.
if command -v systemd-sysusers >/dev/null; then
  mkdir -p "$work/root/etc"
  if ! out=$(systemd-sysusers --root="$work/root" "$src/p11signd.sysusers.conf" 2>&1) ||
    ! grep -q '^p11signd:x:[0-9]*:[0-9]*:.*:/usr/sbin/nologin$' "$work/root/etc/passwd" ||
    ! grep -q '^p11signd:x:' "$work/root/etc/group"; then
    echo "FAIL sysusers snippet:"
    echo "$out"
    failures=$((failures + 1))
  else
    echo "ok   [sysusers] user and group p11signd"
  fi
fi

((failures == 0)) || exit 1
echo "unit files: all checks passed"
