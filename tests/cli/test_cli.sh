#!/bin/sh
# test_cli.sh — the headless front end: options, exit statuses (0 ok, 1 failed
# expect or run error, 2 usage), file:line error messages, stdin scripts, and
# the CSVs of the two relu presets' lessons (full batch: laws far below the
# weight norms; the default SGD preset: the constant step's drift keeps growing).
BIN=${NOETHER_BIN:-./noether}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
pass=0; fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
no() { fail=$((fail + 1)); echo "not ok - $1"; }
check() { if [ "$1" = "$2" ]; then ok "$3"; else no "$3 (got '$1', want '$2')"; fi; }

"$BIN" --help >"$T/o" 2>&1; check $? 0 "--help exits 0"
grep -q "usage: noether" "$T/o" && ok "--help prints usage" || no "--help prints usage"
"$BIN" --version >"$T/o" 2>&1; check $? 0 "--version exits 0"
grep -Eq "^noether [0-9]+\.[0-9]+" "$T/o" && ok "--version prints the version" || no "--version prints the version"
"$BIN" --frobnicate >"$T/o" 2>&1; check $? 2 "unknown option: exit 2"
"$BIN" --threads zero -e 'echo hi' >"$T/o" 2>&1; check $? 2 "bad --threads: exit 2"
"$BIN" -b "$T/nonexistent.nt" >"$T/o" 2>&1; check $? 1 "missing script: exit 1"
grep -q "cannot open" "$T/o" && ok "missing script: says so" || no "missing script: says so"

"$BIN" -e 'frobnicate' >"$T/o" 2>&1; check $? 1 "unknown command: exit 1"
grep -q "^-e:1: unknown command 'frobnicate'" "$T/o" && ok "error as -e:1: message" || no "error as -e:1: message"

printf 'data teacher n=16 in=3 out=1\nlayer dense 4\n# a comment\nlayer dense -3\nstep 5\n' > "$T/bad.nt"
"$BIN" -b "$T/bad.nt" >"$T/o" 2>&1; check $? 1 "error in script: exit 1"
grep -q "bad.nt:4: dense: WIDTH -3 out of range 1..4096" "$T/o" && ok "file:line: message naming the limit" || { no "file:line: message"; cat "$T/o"; }
[ "$(wc -l < "$T/o")" -eq 1 ] && ok "one-line error" || no "one-line error"

printf 'data teacher n=16 in=3 out=1; layer dense 4; layer relu; layer dense 1\nstep 10\nexpect loss < 0\nexpect laws == 4\n' > "$T/exp.nt"
"$BIN" -b "$T/exp.nt" >"$T/o" 2>&1; check $? 1 "failed expect: exit 1"
grep -q "exp.nt:3: expect failed: loss" "$T/o" && ok "failed expect names file, line and values" || no "failed expect message"
grep -q "ok: laws = 4 == 4" "$T/o" && ok "script continues after a failed expect" || no "script continues after a failed expect"

printf 'data teacher n=16 in=3 out=1; layer dense 4; layer relu; layer dense 1\nstep 3\nprint step\n' | "$BIN" >"$T/o" 2>&1
check $? 0 "stdin not a terminal: headless script"
grep -q "^step = 3$" "$T/o" && ok "stdin script ran" || no "stdin script ran"

head -c 300 "$BIN" > "$T/garbage.nt"
"$BIN" -b "$T/garbage.nt" >"$T/o" 2>&1; check $? 1 "binary garbage script: exit 1"
grep -q "control character\|unknown command\|unterminated" "$T/o" && ok "garbage refused with a message" || no "garbage refused with a message"

"$BIN" -e 'preset relu2; run' >"$T/o" 2>&1; check $? 1 "run in a script: exit 1 (scripts use step N)"

# A preset starts from the defaults: relu2's minibatch SGD does not leak into the next one.
a=$("$BIN" -e 'preset relu2; preset gelu2; step 50; print loss' 2>&1); b=$("$BIN" -e 'preset gelu2; step 50; print loss' 2>&1)
[ -n "$a" ] && [ "$a" = "$b" ] && ok "preset after relu2 trains as if first ($a)" || no "preset after relu2 ($a vs $b)"
"$BIN" -e 'preset relu2; preset gelu2; show' 2>&1 | grep -q "opt: gd  " && ok "and shows opt: gd (no batch)" || no "opt after relu2"

# Full-batch GD under a decaying step, and what its CSV shows.
( cd "$T" && "$OLDPWD/$BIN" -e "preset relu2-gd; schedule decay 0.05; step 2000; export csv a.csv" ) 2>"$T/o" >/dev/null || true
if [ -f "$T/a.csv" ]; then
	ok "acceptance command writes a.csv"
	awk -F, '
		/^#/ { next }
		!h { for (i = 1; i <= NF; i++) name[i] = $i; h = 1; next }
		!first { for (i = 1; i <= NF; i++) v0[i] = $i; first = 1 }
		{ for (i = 1; i <= NF; i++) v[i] = $i; n++ }
		END {
			lawmax = 0; tmin = 1e300
			for (i = 4; i in name; i++) {
				d = v[i] - v0[i]; if (d < 0) d = -d; r = v0[i] < 0 ? -v0[i] : v0[i]; rel = d / r
				if (name[i] ~ /^law:/ && rel > lawmax) lawmax = rel
				if (name[i] ~ /^q:\|/ && rel < tmin) tmin = rel
			}
			printf "rows %d, max law rel drift %.3g, min tensor-norm rel change %.3g\n", n, lawmax, tmin
			exit !(n == 2001 && lawmax > 0 && tmin > 10 * lawmax)
		}' "$T/a.csv" > "$T/summary"
	rc=$?; cat "$T/summary"
	check $rc 0 "CSV: every law drifts at least 10x less than every tensor norm changes"
else
	no "acceptance command writes a.csv"; cat "$T/o"
fi

# The README's command on the default preset (minibatch SGD, noisy teacher):
# from the CSV's raw values, the largest law drift at step 10^4 is at least 5x
# its value at step 100, stays below 0.1, and ||W3||^2 moves 10x more.
( cd "$T" && "$OLDPWD/$BIN" -e "preset relu2; step 10000; export csv b.csv every=100" ) 2>"$T/o" >/dev/null || true
if [ -f "$T/b.csv" ]; then
	awk -F, '
		/^#/ { next }
		!h { for (i = 1; i <= NF; i++) name[i] = $i; h = 1; next }
		!first { for (i = 1; i <= NF; i++) v0[i] = $i; first = 1 }
		{
			n++; m = 0
			for (i = 4; i in name; i++)
				if (name[i] ~ /^law:/) {
					d = $i - v0[i]; if (d < 0) d = -d; r = v0[i] < 0 ? -v0[i] : v0[i]
					if (d / r > m) m = d / r
				}
			if ($1 == 100) m100 = m
			for (i = 1; i in name; i++) v[i] = $i
		}
		END {
			w = -1
			for (i = 4; i in name; i++)
				if (name[i] == "q:|layer3.dense.W|^2") { w = (v[i] - v0[i]) / v0[i]; if (w < 0) w = -w }
			printf "rows %d, max law rel drift %.3g at step 100, %.3g at step %d; |W3|^2 rel change %.3g\n", n, m100, m, v[1], w
			exit !(n == 101 && v[1] == 10000 && m100 > 0 && m >= 5 * m100 && m <= 0.1 && w >= 10 * m)
		}' "$T/b.csv" > "$T/summary"
	rc=$?; cat "$T/summary"
	check $rc 0 "CSV (relu2, const 0.05): law drift grows >= 5x from k=100 to 10^4, <= 0.1, ||W3||^2 moves 10x more"
else
	no "relu2 command writes b.csv"; cat "$T/o"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
