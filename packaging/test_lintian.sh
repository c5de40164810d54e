#!/usr/bin/env bash
# lintian on the package test_deb.sh built: no error (E:) may be reported. Warnings and information are printed
# for whoever reads the log but do not fail the test. Exits 77 (skipped) without lintian.
# usage: test_lintian.sh BUILD_DIR VERSION
set -euo pipefail
build=${1:?usage: test_lintian.sh BUILD_DIR VERSION}
version=${2:?usage: test_lintian.sh BUILD_DIR VERSION}
if ! command -v lintian >/dev/null; then
  echo "SKIP: lintian not found"
  exit 77
fi
deb=$build/packaging/deb-out/p11signd_${version}_$(dpkg --print-architecture).deb
[[ -f "$deb" ]] || { echo "FAIL no $deb (the test deb_package makes it)"; exit 1; }

start=$SECONDS
# lintian exits non-zero for errors; the tags are judged below instead, so that the report is always printed.
report=$(lintian --no-cfg --display-info --allow-root "$deb" 2>&1) || true
echo "$report"
echo "lintian took $((SECONDS - start)) s"
if grep -q '^E: ' <<<"$report"; then
  echo "FAIL lintian reports errors"
  exit 1
fi
echo "lintian: no errors"
