#!/usr/bin/env bash
# Builds the .deb with CPack from a built tree and checks what dpkg-deb shows of it: the file name, the control
# fields (Depends from dpkg-shlibdeps, Recommends softhsm2), the conffiles and maintainer scripts, and every
# installed file in its place. Leaves the package in BUILD_DIR/packaging/deb-out/ for the lintian test.
# usage: test_deb.sh BUILD_DIR VERSION
set -euo pipefail
build=$(cd "${1:?usage: test_deb.sh BUILD_DIR VERSION}" && pwd)
version=${2:?usage: test_deb.sh BUILD_DIR VERSION}
out=$build/packaging/deb-out
rm -rf "$out"
mkdir -p "$out"

if ! log=$(cd "$build" && cpack -G DEB -B "$out" 2>&1); then
  echo "FAIL cpack:"
  echo "$log"
  exit 1
fi
deb=$out/p11signd_${version}_$(dpkg --print-architecture).deb
if [[ ! -f "$deb" ]]; then
  echo "FAIL no $deb; cpack made:"
  ls "$out"
  exit 1
fi
echo "built $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB)"

failures=0
fail() {
  echo "FAIL $*"
  failures=$((failures + 1))
}

field() { dpkg-deb -f "$deb" "$1"; }
[[ $(field Package) == p11signd ]] || fail "Package: $(field Package)"
[[ $(field Version) == "$version" ]] || fail "Version: $(field Version)"
depends=$(field Depends)
echo "Depends: $depends"
for dep in libc6 libstdc++6 libssl3 libboost-program-options1.74.0 libsystemd0 \
  "systemd | systemd-standalone-sysusers"; do
  [[ ", $depends," == *", $dep"[\ ,]* ]] || fail "Depends lacks $dep"
done
[[ $(field Recommends) == "softhsm2, logrotate" ]] ||
  fail "Recommends: '$(field Recommends)', expected softhsm2, logrotate"

# Control members: the scripts must be there and executable, conffiles must list exactly the /etc files.
control=$(dpkg-deb -I "$deb")
for script in postinst prerm postrm; do
  grep -Eq "^ +[0-9]+ bytes, +[0-9]+ lines +\* +$script +#!/bin/sh" <<<"$control" ||
    fail "control member $script missing or not executable"
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dpkg-deb -e "$deb" "$tmp/control"
conffiles=$(sort "$tmp/control/conffiles" 2>/dev/null || true)
[[ "$conffiles" == $'/etc/logrotate.d/p11signd\n/etc/p11signd/p11signd.conf\n/etc/p11signd/softhsm2.conf' ]] ||
  fail "conffiles: '$conffiles'"
for script in postinst prerm postrm; do
  sh -n "$tmp/control/$script" || fail "$script: not valid sh"
done

# Every file of the package, and nothing in /usr/local or the build tree.
contents=$(dpkg-deb -c "$deb" | awk '{ print $1, $6 }')
expect=(
  "-rwxr-xr-x ./usr/bin/p11signd"
  "-rwxr-xr-x ./usr/bin/p11sign"
  "-rw-r--r-- ./usr/lib/systemd/system/p11signd.service"
  "-rw-r--r-- ./usr/lib/systemd/system/p11signd.socket"
  "-rw-r--r-- ./usr/lib/sysusers.d/p11signd.conf"
  "-rw-r--r-- ./usr/lib/tmpfiles.d/p11signd.conf"
  "-rw-r--r-- ./usr/share/p11signd/p11signd.service.d/softhsm.conf"
  "-rw-r--r-- ./usr/share/p11signd/p11signd.service.d/usb-hsm.conf"
  "-rw-r--r-- ./usr/share/p11signd/p11signd.service.d/network-hsm.conf"
  "-rw-r--r-- ./etc/p11signd/p11signd.conf"
  "-rw-r--r-- ./etc/p11signd/softhsm2.conf"
  "-rw-r--r-- ./etc/logrotate.d/p11signd"
  "-rw-r--r-- ./usr/share/man/man8/p11signd.8.gz"
  "-rw-r--r-- ./usr/share/man/man1/p11sign.1.gz"
  "-rw-r--r-- ./usr/share/man/man5/p11signd.conf.5.gz"
  "-rw-r--r-- ./usr/share/doc/p11signd/copyright"
  "-rw-r--r-- ./usr/share/doc/p11signd/changelog.gz"
  "-rw-r--r-- ./usr/share/doc/p11signd/deploy.md"
  "-rw-r--r-- ./usr/share/doc/p11signd/operations.md"
  "-rw-r--r-- ./usr/share/doc/p11signd/configuration.md"
  "-rw-r--r-- ./usr/share/doc/p11signd/examples/p11signd.conf"
  "-rw-r--r-- ./usr/share/doc/p11signd/providers/mypos.md"
  "-rw-r--r-- ./usr/share/doc/p11signd/examples/mypos/purchase.php"
  "-rw-r--r-- ./usr/share/doc/p11signd/examples/mypos/mypos.crt"
  "-rw-r--r-- ./usr/share/doc/p11signd/examples/mypos/notification.form"
)
for e in "${expect[@]}"; do
  grep -qxF -- "$e" <<<"$contents" || fail "not in the package: $e"
done
if grep -E '/usr/local/|/build/|/tmp/|/root/' <<<"$contents"; then
  fail "files outside Debian's places (above)"
fi
# The binaries are stripped (no debug info in the package) and the units name the installed binary.
file_of() { dpkg-deb --fsys-tarfile "$deb" | tar -xOf - "./$1"; }
file_of usr/bin/p11signd >"$tmp/p11signd"
if readelf -S "$tmp/p11signd" | grep -q '\.debug_info'; then fail "usr/bin/p11signd is not stripped"; fi
unit=$(file_of usr/lib/systemd/system/p11signd.service)
grep -q '^ExecStart=/usr/bin/p11signd ' <<<"$unit" || fail "p11signd.service does not start /usr/bin/p11signd"

((failures == 0)) || exit 1
echo "deb package: all checks passed"
