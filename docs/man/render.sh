#!/usr/bin/env bash
# Renders one Markdown document of docs/ as a man page: a title line and a NAME section are put in front of
# the document's body (its own "# Title" line is dropped), go-md2man turns it into roff, and gzip -9n
# compresses it the way Debian installs man pages. The document stays the only text of the page.
# usage: render.sh GO_MD2MAN SOURCE.md NAME SECTION SUMMARY VERSION OUT.gz
set -euo pipefail
md2man=$1 source=$2 name=$3 section=$4 summary=$5 version=$6 out=$7

case $section in
  1) manual="User Commands" ;;
  5) manual="File Formats" ;;
  8) manual="System Administration" ;;
  *) manual="p11signd" ;;
esac
roff=${out%.gz}

# Tables become definition lists in the man page (the Markdown keeps its tables): the first cell is the
# term, the others its text, each after its column's header when there are more than two columns. A table
# does not fit an 80-column terminal once a cell holds a path, and tbl then warns each time the page is read.
tables_as_lists() {
  awk '
    function trim(s) { gsub(/^[ \t]+|[ \t]+$/, "", s); return s }
    function cells(line, out,   n, i) {
      sub(/^[ \t]*\|/, "", line); sub(/\|[ \t]*$/, "", line)
      n = split(line, out, "|")
      for (i = 1; i <= n; i++) out[i] = trim(out[i])
      return n
    }
    pending != "" {
      if ($0 ~ /^\|[ :|-]*---[ :|-]*$/) { columns = cells(pending, header); in_table = 1; pending = ""; next }
      print pending; pending = ""
    }
    in_table && /^\|/ {
      n = cells($0, cell); text = ""
      for (i = 2; i <= n; i++) {
        if (cell[i] == "") continue
        text = text (text == "" ? "" : "; ") (columns > 2 ? header[i] ": " : "") cell[i]
      }
      print cell[1]; print ": " text; print ""; next
    }
    { in_table = 0 }
    /^\|/ { pending = $0; next }
    { print }
    END { if (pending != "") print pending }
  '
}
{
  printf '%% %s %s "" "p11signd %s" "%s"\n\n# NAME\n\n%s \\- %s\n\n' \
    "${name^^}" "$section" "$version" "$manual" "$name" "$summary"
  sed 1d "$source" | tables_as_lists
} | "$md2man" >"$roff"
gzip -9n <"$roff" >"$out"
