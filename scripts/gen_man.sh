#!/bin/sh
# gen_man.sh — regenerate the COMMANDS section of man/noether.1 from the
# command table (./noether --commands-roff). Run after changing a command;
# tests/cli/test_docs.sh fails when the two differ.
set -e
BIN=${NOETHER_BIN:-./noether}
tmp=$(mktemp)
"$BIN" --commands-roff > "$tmp"
awk -v f="$tmp" '
/^\.\\" COMMANDS-BEGIN/ { print; while ((getline l < f) > 0) print l; skip = 1; next }
/^\.\\" COMMANDS-END/ { skip = 0 }
!skip { print }' man/noether.1 > man/noether.1.new
mv man/noether.1.new man/noether.1
rm -f "$tmp"
