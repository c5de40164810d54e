#!/usr/bin/env bash
# Installs, upgrades, removes and purges the .deb for real, in a throwaway copy of this machine: a private
# mount namespace with an overlay over / (writes go to a tmpfs and vanish with the namespace), chrooted, so
# the maintainer scripts run as they would on a server, without touching this machine. Checks what an
# administrator relies on: the user, the daemon's and the clients' groups (an old client moved to the latter
# on upgrade), the directories, the socket enabled but the service neither enabled nor started, an upgrade
# restarting a running daemon and a removal stopping it (systemd stood in for by recording stubs),
# configuration kept across an upgrade, and tokens, keys and the PIN never deleted, not even by purge.
# Exits 77 (skipped) where mount namespaces or overlays are not allowed (an unprivileged container).
# usage: test_deb_install.sh BUILD_DIR VERSION
set -euo pipefail

if [[ "${1:-}" != --inside ]]; then
  build=$(cd "${1:?usage: test_deb_install.sh BUILD_DIR VERSION}" && pwd)
  version=${2:?usage: test_deb_install.sh BUILD_DIR VERSION}
  deb=$build/packaging/deb-out/p11signd_${version}_$(dpkg --print-architecture).deb
  [[ -f "$deb" ]] || { echo "FAIL no $deb (the test deb_package makes it)"; exit 1; }
  if ((EUID != 0)) || ! unshare -m true 2>/dev/null; then
    echo "SKIP: needs root and mount namespaces"
    exit 77
  fi
  scratch=$(mktemp -d)
  status=0
  unshare -m "$0" --inside "$deb" "$scratch" || status=$?
  rmdir "$scratch"
  exit "$status"
fi

deb=$2 scratch=$3
mount -t tmpfs tmpfs "$scratch"
mkdir -p "$scratch/upper" "$scratch/work" "$scratch/root"
if ! mount -t overlay overlay -o "lowerdir=/,upperdir=$scratch/upper,workdir=$scratch/work" "$scratch/root"; then
  echo "SKIP: overlay mounts not allowed here"
  exit 77
fi
root=$scratch/root
mount --rbind /dev "$root/dev"
mount -t proc proc "$root/proc"
mount -t tmpfs tmpfs "$root/run"
cp "$deb" "$root/tmp/p11signd.deb"

failures=0
fail() {
  echo "FAIL $*"
  failures=$((failures + 1))
}
in_root() { chroot "$root" "$@"; }
dpkg_in_root() {
  local out
  if ! out=$(in_root env DEBIAN_FRONTEND=noninteractive dpkg "$@" 2>&1); then
    echo "$out"
    fail "dpkg $*"
  fi
}
mode_owner() { in_root stat -c '%a %U:%G' "$1" 2>/dev/null || echo missing; }
expect_mode() {  # expect_mode PATH "MODE USER:GROUP"
  local got
  got=$(mode_owner "$1")
  [[ "$got" == "$2" ]] || fail "$1 is '$got', expected '$2'"
}

# A running systemd, as the maintainer scripts see it: /run/systemd/system exists, and systemctl and
# deb-systemd-invoke (found first on the scripts' PATH, in /usr/local/sbin) record what they are asked to do.
# What needs no running systemd (enable, preset: links under /etc) is passed on to the real systemctl.
mkdir -p "$root/run/systemd/system" "$root/usr/local/sbin"
cat >"$root/usr/local/sbin/deb-systemd-invoke" <<'EOF'
#!/bin/sh
echo "deb-systemd-invoke $*" >>/tmp/systemd-calls
EOF
cat >"$root/usr/local/sbin/systemctl" <<'EOF'
#!/bin/sh
echo "systemctl $*" >>/tmp/systemd-calls
case " $* " in
  *" daemon-reload "* | *" start "* | *" stop "* | *" restart "* | *" try-restart "*) exit 0 ;;
esac
exec /usr/bin/systemctl "$@"
EOF
chmod 755 "$root/usr/local/sbin/deb-systemd-invoke" "$root/usr/local/sbin/systemctl"
calls() {
  cat "$root/tmp/systemd-calls" 2>/dev/null || true
  : >"$root/tmp/systemd-calls"
}

# A host where the package was never installed (this machine may have had it).
in_root dpkg -P p11signd >/dev/null 2>&1 || true
in_root sh -c 'userdel p11signd; rm -rf /etc/p11signd /var/lib/p11signd' >/dev/null 2>&1 || true
calls >/dev/null

echo "install"
dpkg_in_root -i /tmp/p11signd.deb
in_root getent passwd p11signd | grep -q ':/usr/sbin/nologin$' || fail "no system user p11signd"
in_root getent group p11signd >/dev/null || fail "no group p11signd"
# The socket's group: the clients' own, made empty (nobody is a client until an administrator says so).
[[ $(in_root getent group p11signd-clients | cut -d: -f4) == "" ]] ||
  fail "group p11signd-clients is missing or has members: $(in_root getent group p11signd-clients)"
expect_mode /etc/p11signd "750 root:p11signd"
expect_mode /var/lib/p11signd "750 p11signd:p11signd"
expect_mode /var/lib/p11signd/tokens "700 p11signd:p11signd"
expect_mode /etc/p11signd/p11signd.conf "644 root:root"
[[ $(in_root readlink /etc/systemd/system/sockets.target.wants/p11signd.socket) == */p11signd.socket ]] ||
  fail "p11signd.socket is not enabled"
[[ ! -e "$root/etc/systemd/system/multi-user.target.wants/p11signd.service" ]] ||
  fail "p11signd.service was enabled (only the socket should be)"
# shellcheck disable=SC2016 # ${Conffiles} is dpkg-query's field, not a shell variable
conffiles=$(in_root dpkg-query -W -f='${Conffiles}' p11signd)
for f in /etc/p11signd/p11signd.conf /etc/p11signd/softhsm2.conf; do
  grep -q " $f " <<<"$conffiles" || fail "$f is not a conffile: $conffiles"
done
got=$(calls)
grep -q "^systemctl --system daemon-reload" <<<"$got" || fail "install did not reload systemd: $got"
! grep -qE "start|restart" <<<"$got" || fail "install started something (no token or PIN yet): $got"

# What an administrator adds: a token (its files are the keys), the PIN, an edited configuration.
in_root install -d -o p11signd -g p11signd -m 0700 /var/lib/p11signd/tokens/0a1b
echo "key material" >"$root/var/lib/p11signd/tokens/0a1b/token.object"
echo "1234" >"$root/etc/p11signd/pin"
echo "# edited by the administrator" >>"$root/etc/p11signd/p11signd.conf"

# A host that had a package without the clients' group, where an application was given the daemon's group
# p11signd to reach the socket: the upgrade adds it to p11signd-clients once, and says so.
in_root groupdel p11signd-clients
in_root gpasswd -a www-data p11signd >/dev/null

echo "upgrade (the same version again)"
if ! out=$(in_root env DEBIAN_FRONTEND=noninteractive dpkg -i /tmp/p11signd.deb 2>&1); then
  echo "$out"
  fail "dpkg -i (upgrade)"
fi
[[ $(in_root getent group p11signd-clients | cut -d: -f4) == www-data ]] ||
  fail "upgrade did not move www-data to p11signd-clients: $(in_root getent group p11signd-clients)"
grep -q "added to it: www-data" <<<"$out" || fail "upgrade did not say it added www-data: $out"
grep -q "gpasswd -d USER p11signd" <<<"$out" || fail "upgrade did not say how to leave p11signd: $out"
grep -q "edited by the administrator" "$root/etc/p11signd/p11signd.conf" || fail "upgrade lost the edited configuration"
[[ -f "$root/var/lib/p11signd/tokens/0a1b/token.object" ]] || fail "upgrade lost the token"
expect_mode /var/lib/p11signd/tokens/0a1b "700 p11signd:p11signd"
got=$(calls)
grep -qx "deb-systemd-invoke try-restart p11signd.service" <<<"$got" ||
  fail "upgrade did not restart a running daemon: $got"
! grep -q "stop" <<<"$got" || fail "upgrade stopped the daemon: $got"

echo "remove"
dpkg_in_root -r p11signd
[[ ! -e "$root/usr/bin/p11signd" ]] || fail "remove left /usr/bin/p11signd"
[[ -f "$root/etc/p11signd/p11signd.conf" ]] || fail "remove deleted the configuration (only purge may)"
got=$(calls)
grep -qx "deb-systemd-invoke stop p11signd.socket p11signd.service" <<<"$got" ||
  fail "remove did not stop the socket and the daemon: $got"

echo "purge"
dpkg_in_root -P p11signd
[[ ! -e "$root/etc/p11signd/p11signd.conf" ]] || fail "purge left the conffile p11signd.conf"
[[ -f "$root/var/lib/p11signd/tokens/0a1b/token.object" ]] || fail "purge deleted the token directory"
[[ -f "$root/etc/p11signd/pin" ]] || fail "purge deleted the PIN"
[[ ! -e "$root/etc/systemd/system/sockets.target.wants/p11signd.socket" ]] || fail "purge left the socket enabled"

((failures == 0)) || exit 1
echo "install, upgrade, remove, purge: all checks passed"
