#!/usr/bin/env bash
# scripts/dev installs scripts/packages-dev.txt only; scripts/test (and CI) install scripts/packages.txt. A
# package that the first run needs but the full list lacks would leave CI without it: every package of the dev
# list must also be in the full one.
set -euo pipefail
scripts=$(cd "$(dirname "$0")/../scripts" && pwd)
names() { grep -v -e '^#' -e '^$' "$1" | sort -u; }
missing=$(comm -23 <(names "$scripts/packages-dev.txt") <(names "$scripts/packages.txt"))
if [[ -n "$missing" ]]; then
  echo "in scripts/packages-dev.txt but not in scripts/packages.txt: $missing" >&2
  exit 1
fi
echo "scripts/packages-dev.txt is a subset of scripts/packages.txt"
