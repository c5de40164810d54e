# Sourced by the tests that run documentation on a throwaway Debian server (tests/providers/run_page_server.sh,
# tests/docs/run_docs_server.sh): this machine seen through an overlay, chrooted, in private mount, PID and
# network namespaces; every write vanishes with it.
#
# enter_throwaway_namespaces SCRIPT ARGS...: from outside, runs `SCRIPT --inside SCRATCH ARGS...` in the
#   namespaces and exits with its status; exits 77 (skipped) without root or namespaces.
# make_throwaway_server SOURCE_DIR BUILD_DIR SCRATCH: from inside, mounts the server's root ($root) and puts
#   on it what the package installs - the project's install rules (cmake --install, the files of the .deb)
#   and the package's postinst (systemd-sysusers and systemd-tmpfiles with the shipped files: user p11signd
#   and the groups) - the systemctl stand-in (tests/providers/server/systemctl) and an administrator "admin"
#   with sudo (NOPASSWD: the password prompt aside). Defines in_root (a command in the chroot, with a clean
#   environment) and fail (prints the daemon's journal and exits 1).

enter_throwaway_namespaces() {
  # A network namespace too: /proc/net/unix, where the socket is seen listening, is per network namespace,
  # and other tests' servers listen on the same path in theirs.
  if ((EUID != 0)) || ! unshare --mount --pid --net --fork true 2>/dev/null; then
    echo "SKIP: needs root and mount, PID and network namespaces"
    exit 77
  fi
  command -v sudo >/dev/null || { echo "FAIL: sudo is not installed (scripts/packages.txt)"; exit 1; }
  local script=$1 scratch status=0
  shift
  scratch=$(mktemp -d)
  unshare --mount --propagation private --pid --net --fork "$script" --inside "$scratch" "$@" || status=$?
  rmdir "$scratch"
  exit "$status"
}

make_throwaway_server() {
  local src=$1 build=$2 scratch=$3
  mount -t tmpfs tmpfs "$scratch"
  mkdir -p "$scratch/upper" "$scratch/work" "$scratch/root"
  if ! mount -t overlay overlay -o "lowerdir=/,upperdir=$scratch/upper,workdir=$scratch/work" "$scratch/root"; then
    echo "SKIP: overlay mounts not allowed here"
    exit 77
  fi
  root=$scratch/root
  mount --rbind /dev "$root/dev"
  mount -t proc proc "$root/proc"
  mount -t tmpfs -o mode=0755 tmpfs "$root/run"
  mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
  journal=$root/run/systemctl-standin/p11signd.journal

  DESTDIR=$root cmake --install "$build" >/dev/null || fail "cmake --install $build"
  cp "$src/packaging/deb/postinst" "$root/tmp/postinst"
  in_root DPKG_MAINTSCRIPT_PACKAGE=p11signd DPKG_MAINTSCRIPT_NAME=postinst sh /tmp/postinst configure \
    >"$scratch/postinst.log" 2>&1 || { cat "$scratch/postinst.log"; fail "the package's postinst"; }
  install -m 0755 "$src/tests/providers/server/systemctl" "$root/usr/local/sbin/systemctl"

  in_root useradd --create-home --shell /bin/bash --groups sudo admin
  echo 'admin ALL=(ALL:ALL) NOPASSWD: ALL' >"$root/etc/sudoers.d/admin"
  chmod 0440 "$root/etc/sudoers.d/admin"
}

in_root() { chroot "$root" env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"; }

fail() {
  echo "FAIL: $*"
  [[ -f "${journal:-}" ]] && { echo "--- the daemon's journal:"; cat "$journal"; }
  exit 1
}
