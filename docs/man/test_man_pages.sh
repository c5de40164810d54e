#!/usr/bin/env bash
# Checks the generated man pages: each one renders on an 80-column terminal without a groff or tbl warning
# (filling a line is not one: how well a line justifies depends on the width), and lexgrog (what mandb uses
# for whatis/apropos) reads its NAME line as "NAME - summary".
# usage: test_man_pages.sh PAGE.N.gz...
set -euo pipefail
failures=0
for page in "$@"; do
  base=$(basename "$page" .gz)
  name=${base%.*}
  if [[ ! -s "$page" ]]; then
    echo "FAIL $base: $page is missing or empty"
    failures=$((failures + 1))
    continue
  fi
  warnings=$(MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings -l "$page" 2>&1 >/dev/null || echo "man failed")
  warnings=$(grep -v "warning \[.*\]: \(cannot adjust\|can't break\) line" <<<"$warnings" || true)
  if [[ -n "$warnings" ]]; then
    echo "FAIL $base renders with warnings:"
    echo "$warnings"
    failures=$((failures + 1))
  fi
  whatis=$(lexgrog "$page" 2>&1 || true)
  if [[ "$whatis" != *": \"$name - "* ]]; then
    echo "FAIL $base: lexgrog reads no NAME line: $whatis"
    failures=$((failures + 1))
  else
    echo "ok   $base: ${whatis#*: }"
  fi
done
((failures == 0)) || exit 1
