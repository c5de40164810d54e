#!/usr/bin/env bash
# Prints the shell blocks of a provider page, in order, unchanged: the server's (```sh) or the dev
# mode's (```sh dev). A page must have both.
# usage: page_blocks.sh PAGE server|dev
set -euo pipefail
page=${1:?usage: page_blocks.sh PAGE server|dev}
case "${2:?usage: page_blocks.sh PAGE server|dev}" in
  server) fence='```sh' ;;
  dev) fence='```sh dev' ;;
  *) echo "page_blocks.sh: server or dev, not '$2'" >&2; exit 2 ;;
esac
steps=$(awk -v fence="$fence" '$0 == fence {on = 1; next} /^```/ {on = 0} on' "$page")
[[ -n "$steps" ]] || { echo "FAIL: $page has no '$fence' block" >&2; exit 1; }
printf '%s\n' "$steps"
