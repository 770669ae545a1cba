#!/bin/sh
# run.sh — the whole suite behind `make check`: every unit/numeric test
# program, every script test (tests/scripts/*.nt and every preset, headless),
# the CLI error tests, the tmux screen tests and the fuzz smoke run (when the
# harnesses were built: make check builds them where clang is). Prints one closing line
# "N passed, N failed" and exits non-zero if anything failed.
BUILD=${1:-build}
BIN=${NOETHER_BIN:-./noether}
export NOETHER_BIN="$BIN"
pass=0; fail=0
log=$(mktemp); trap 'rm -f "$log"' EXIT

count() { # parse "N passed, N failed" from a log
	p=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$log" | tail -1 | sed -E 's/^(.*[^0-9])?([0-9]+) passed, ([0-9]+) failed.*$/\2 \3/')
	echo "$p"
}

for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	"$t" >"$log" 2>&1; rc=$?
	set -- $(count)
	p=${1:-0}; f=${2:-0}
	if [ $rc -ne 0 ] && [ "$f" = 0 ]; then f=1; fi
	pass=$((pass + p)); fail=$((fail + f))
	if [ $rc -ne 0 ]; then echo "FAIL $(basename "$t")"; cat "$log"; else echo "ok   $(basename "$t") ($p checks)"; fi
done

# every preset and every script test runs headless; exit 0 expected unless
# the file name ends in .fail.nt (then exit 1 expected)
for f in presets/*.nt tests/scripts/*.nt; do
	[ -f "$f" ] || continue
	want=0
	case "$f" in *.fail.nt) want=1 ;; esac
	timeout 300 "$BIN" -b "$f" >"$log" 2>&1; rc=$?
	if [ $rc -eq $want ]; then pass=$((pass + 1)); echo "ok   $f"
	else fail=$((fail + 1)); echo "FAIL $f (exit $rc, wanted $want)"; tail -20 "$log"; fi
done

for t in tests/cli/*.sh tests/screen/*.sh tests/fuzz/smoke.sh; do
	[ -f "$t" ] || continue
	sh "$t" >"$log" 2>&1; rc=$?
	set -- $(count)
	p=${1:-0}; f=${2:-0}
	if [ $rc -ne 0 ] && [ "$f" = 0 ]; then f=1; fi
	pass=$((pass + p)); fail=$((fail + f))
	if [ $rc -ne 0 ]; then echo "FAIL $t"; cat "$log"; else echo "ok   $t ($p checks)"; fi
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
