#!/bin/sh
# test_keys_man.sh — the man page's KEY BINDINGS section lists every key of the
# screen's key table (src/ui/ui_keys.c): each label appears as a word of a
# `.B` line there, and the command the key runs is named in the section. A key
# added to the table without the man page, or bound to another command, fails.
MAN=man/noether.1
KEYS=src/ui/ui_keys.c
pass=0; fail=0
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT

# the section, roff escapes removed: \- -> -, font changes dropped
awk '/^\.\\" KEYS-BEGIN/ { on = 1; next } /^\.\\" KEYS-END/ { on = 0 } on' "$MAN" |
	sed -e 's/\\-/-/g' -e 's/\\f[BRIP]//g' > "$T/sec"
[ -s "$T/sec" ] && { pass=$((pass + 1)); echo "ok - KEY BINDINGS section present"; } ||
	{ fail=$((fail + 1)); echo "not ok - KEY BINDINGS section missing"; }

# label<TAB>command for each table entry
sed -n 's/^[[:space:]]*{[^,]*,[[:space:]]*"\([^"]*\)",[[:space:]]*"\([^"]*\)".*/\1	\2/p' "$KEYS" > "$T/keys"
n=$(wc -l < "$T/keys")
[ "$n" -ge 20 ] && { pass=$((pass + 1)); echo "ok - read $n keys from the table"; } ||
	{ fail=$((fail + 1)); echo "not ok - read only $n keys from $KEYS"; }

while IFS='	' read -r label cmd; do
	for w in $label; do
		# a digit may be covered by a range word such as 1-9
		if awk -v w="$w" '/^\.B / { for (i = 2; i <= NF; i++) {
			if ($i == w) f = 1
			if ($i ~ /^[0-9]-[0-9]$/ && w ~ /^[0-9]$/ && w >= substr($i, 1, 1) && w <= substr($i, 3, 1)) f = 1 } }
			END { exit !f }' "$T/sec"; then
			pass=$((pass + 1))
		else
			fail=$((fail + 1)); echo "not ok - key '$w' is not listed in KEY BINDINGS"
		fi
	done
	want=$cmd
	case $cmd in "panel "[0-9]) want="panel N" ;; esac   # the 1-9 row names it once
	if grep -qF -- "$want" "$T/sec"; then pass=$((pass + 1))
	else fail=$((fail + 1)); echo "not ok - command '$cmd' of key '$label' not named in KEY BINDINGS"; fi
done < "$T/keys"
echo "ok - every key label and command checked"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
