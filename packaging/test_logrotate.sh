#!/usr/bin/env bash
# The package's logrotate snippet, run by logrotate itself on a stand-in log: the file is renamed, a new one
# is created with the mode the snippet names, and the postrotate command (which tells the daemon to reopen
# its log) runs. The path, user and command are this test's; everything else is the snippet as shipped.
# Exits 77 (skipped) without logrotate.
# usage: test_logrotate.sh SNIPPET
set -euo pipefail
snippet=${1:?usage: test_logrotate.sh SNIPPET}
if ! command -v logrotate >/dev/null && [[ ! -x /usr/sbin/logrotate ]]; then
  echo "SKIP: logrotate not found"
  exit 77
fi
logrotate=$(command -v logrotate || echo /usr/sbin/logrotate)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 0750 "$work"
mkdir -m 0750 "$work/log"
user=$(id -un)
group=$(id -gn)

grep -q '^/var/log/p11signd/audit.log {$' "$snippet" || { echo "FAIL the snippet does not rotate /var/log/p11signd/audit.log"; exit 1; }
grep -q 'systemctl reload p11signd.service' "$snippet" || { echo "FAIL the snippet's postrotate does not reload p11signd"; exit 1; }
sed -e "s|^/var/log/p11signd/audit.log {|$work/log/audit.log {|" \
  -e "s|su p11signd p11signd|su $user $group|" \
  -e "s|create 0600 p11signd p11signd|create 0600 $user $group|" \
  -e "s|systemctl reload p11signd.service.*|touch $work/reloaded|" "$snippet" >"$work/p11signd"
echo '{"seq":1}' >"$work/log/audit.log"

"$logrotate" --force --state "$work/state" "$work/p11signd"

failures=0
[[ -f "$work/log/audit.log.1" ]] || { echo "FAIL no audit.log.1 after rotation"; failures=$((failures + 1)); }
[[ "$(stat -c %a "$work/log/audit.log" 2>/dev/null)" == 600 ]] ||
  { echo "FAIL the new audit.log is not mode 0600"; failures=$((failures + 1)); }
[[ -f "$work/reloaded" ]] || { echo "FAIL postrotate did not run"; failures=$((failures + 1)); }
((failures == 0)) || exit 1
echo "logrotate snippet: rotated, recreated 0600, postrotate ran"
