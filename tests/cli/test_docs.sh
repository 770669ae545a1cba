#!/bin/sh
# test_docs.sh — the docs tell the truth: the man page's COMMANDS section is the
# command table (regenerate with scripts/gen_man.sh), `help CMD` answers for
# every command, and the README opens with the two set-up commands.
BIN=${NOETHER_BIN:-./noether}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
pass=0; fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
no() { fail=$((fail + 1)); echo "not ok - $1"; }

"$BIN" --commands-roff > "$T/gen"
awk '/^\.\\" COMMANDS-BEGIN/ { on = 1; next } /^\.\\" COMMANDS-END/ { on = 0 } on' man/noether.1 > "$T/man"
if cmp -s "$T/gen" "$T/man"; then ok "man page COMMANDS section equals the command table"
else no "man page COMMANDS section is stale (run scripts/gen_man.sh)"; diff "$T/gen" "$T/man" | head; fi

for c in $("$BIN" --commands-roff | awk '/^\.B /{print $2}'); do
	"$BIN" -e "help $c" >"$T/h" 2>&1 && grep -q "^$c" "$T/h" || { no "help $c"; continue; }
	pass=$((pass + 1))
done
echo "ok - help answers for every command"

if command -v groff >/dev/null 2>&1; then
	w=$(groff -k -ww -man -z man/noether.1 2>&1)
	[ -z "$w" ] && ok "man page renders without groff warnings" || { no "groff warnings in the man page"; echo "$w" | head -5; }
fi

head -20 README.md | grep -q "make run" && head -20 README.md | grep -q "make check" \
	&& ok "README opens with make run and make check" || no "README opens with the two commands"
grep -q "make check" .ci/run && ok ".ci/run calls make check" || no ".ci/run calls make check"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
