# Shared by scripts/test, scripts/dev and scripts/bench: package set-up and the build.
# shellcheck shell=bash

repo_root() { cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd; }

# Installs whatever in scripts/packages.txt (or the list file given) is missing. Needs root (or sudo) only
# when something is missing.
ensure_packages() {
  local root missing=() list
  root=$(repo_root)
  list=${1:-$root/scripts/packages.txt}
  while read -r pkg; do
    [[ -z "$pkg" || "$pkg" == \#* ]] && continue
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done <"$list"
  ((${#missing[@]} == 0)) && return 0
  echo "installing missing packages: ${missing[*]}"
  local sudo=()
  ((EUID == 0)) || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# configure_and_build BUILD_DIR [extra cmake args...]
configure_and_build() {
  local dir=$1
  shift
  cmake -S "$(repo_root)" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@"
  cmake --build "$dir" --parallel "$(nproc)"
}

# configure_and_build_only BUILD_DIR TARGET...: configures with the defaults and builds only the targets named.
configure_and_build_only() {
  local dir=$1
  shift
  cmake -S "$(repo_root)" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
  cmake --build "$dir" --parallel "$(nproc)" --target "$@"
}

# configure_sanitized MODE BUILD_DIR: the clang builds beside the plain GCC one. "asan": ASan+UBSan, for the
# whole suite; "fuzz": ASan+UBSan with libFuzzer coverage, for the targets of fuzz/ only (scripts/fuzz);
# "tsan": ThreadSanitizer, for the concurrency tests. Configures only.
configure_sanitized() {
  local mode=$1 dir=$2 opts=()
  case "$mode" in
    asan) opts=(-DP11SIGND_SANITIZE=ON) ;;
    fuzz) opts=(-DP11SIGND_SANITIZE=ON -DP11SIGND_FUZZ=ON) ;;
    tsan) opts=(-DP11SIGND_TSAN=ON) ;;
    *) echo "configure_sanitized: unknown mode $mode" >&2 && return 1 ;;
  esac
  # All three at -O1 with line tables only: reports still name file:line, and the compile takes a third of
  # GCC's -O2 -g1 ASan build (13 s against 39 s for one Beast test file) and half of clang's -O2 -g.
  local flags="-O1 -gline-tables-only -DNDEBUG"
  CC=clang CXX=clang++ cmake -S "$(repo_root)" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DP11SIGND_WERROR=ON "${opts[@]}" "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=$flags" "-DCMAKE_C_FLAGS_RELWITHDEBINFO=$flags"
}
