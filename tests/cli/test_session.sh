#!/bin/sh
# test_session.sh — `save session FILE` writes a script that replays to the
# same θ: schedule changes mid-run and resets included, compared on the loss
# and a law's value printed with 17 digits; the file runs with -b.
BIN=${NOETHER_BIN:-./noether}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
pass=0; fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
no() { fail=$((fail + 1)); echo "not ok - $1"; }
want=$("$BIN" -e "preset relu2; step 300; schedule decay 0.05; step 50; reset; step 20; schedule const 0.03; step 15; save session $T/s.nt; print loss layer2.relu.n3.value step" 2>&1)
[ -f "$T/s.nt" ] && ok "save session writes the file" || no "save session writes the file"
got=$("$BIN" -e "source $T/s.nt; print loss layer2.relu.n3.value step" 2>&1 | grep -v '^ok:')
[ -n "$want" ] && [ "$got" = "$want" ] && ok "replay: same loss, law value and step to 17 digits" || { no "replay differs"; echo "$want"; echo "$got"; }
"$BIN" -b "$T/s.nt" >/dev/null 2>&1 && ok "the saved file runs with -b (expect step passes)" || no "saved file fails with -b"
grep -q '^reset$' "$T/s.nt" && grep -q '^expect step == 35$' "$T/s.nt" && ok "reset kept, closing expect step == 35" || no "reset/expect lines"
"$BIN" -e "preset relu2; save session /nonexistent-dir/x.nt" >/dev/null 2>&1; [ $? = 1 ] && ok "unwritable path: exit 1" || no "unwritable path: exit 1"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
