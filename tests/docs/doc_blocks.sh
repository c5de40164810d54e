#!/usr/bin/env bash
# Prints the commands of a page (README.md, docs/deploy.md, docs/operations.md) as one script, in order,
# unchanged: every ```sh block, except one that the page marks as not run, with the reason, in an HTML
# comment on the line just before its fence:
#   <!-- doc-test: not run: REASON -->
# An ```ini block marked
#   <!-- doc-test: append FILE -->
# is the reader's edit of FILE: the script appends it there (as root, with sudo), as the page asks the
# reader to. Other blocks (```ini without a mark, ```text...) are not commands and are left alone.
# On stderr: how many blocks are run, and each one not run with its reason. A mark with no reason, or a
# mark before no block, fails: a block leaves the test only with a reason in the page.
# usage: doc_blocks.sh PAGE
set -euo pipefail
page=${1:?usage: doc_blocks.sh PAGE}
awk -v page="$page" -v q="'" '
  function fail(why) { printf "FAIL: %s:%d: %s\n", page, NR, why > "/dev/stderr"; bad = 1; exit 1 }
  /^```/ && !in_block {
    in_block = 1; fence = $0; kind = ""
    if (mark ~ /^not run: ./) kind = "skip"
    else if (mark ~ /^append \//) kind = "append"
    else if (mark != "") fail("unknown doc-test mark \"" mark "\"")
    if (fence == "```sh") { if (kind == "append") fail("append marks an ini block, not ```sh"); if (kind == "") kind = "run" }
    else if (kind == "append" && fence != "```ini") fail("append marks an ```ini block")
    else if (kind == "skip" && fence != "```sh") fail("not run marks an ```sh block")
    if (kind == "run") ++run
    if (kind == "skip") { ++skipped; printf "not run: %s:%d: %s\n", page, NR, substr(mark, 10) > "/dev/stderr" }
    if (kind == "append") { file = substr(mark, 8); print "sudo tee -a " file " >/dev/null <<" q "DOC_TEST_EOF" q }
    mark = ""; next
  }
  /^```/ && in_block {
    in_block = 0
    if (kind == "append") print "DOC_TEST_EOF"
    kind = ""; next
  }
  in_block { if (kind == "run" || kind == "append") print; next }
  /^<!-- doc-test: .* -->$/ { mark = $0; sub(/^<!-- doc-test: /, "", mark); sub(/ -->$/, "", mark); next }
  /doc-test:/ { fail("a doc-test mark is one whole line: <!-- doc-test: not run: REASON -->") }
  NF { if (mark != "") fail("the doc-test mark is not just before the fence of a block"); }
  END {
    if (bad) exit 1
    if (mark != "") fail("the doc-test mark is before no block")
    printf "%s: %d block(s) run, %d not run\n", page, run, skipped > "/dev/stderr"
    if (run == 0) { printf "FAIL: %s has no ```sh block to run\n", page > "/dev/stderr"; exit 1 }
  }
' "$page"
