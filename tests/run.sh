#!/bin/sh
# run.sh — the whole suite behind `make check`: every unit/numeric test
# program, every script test (tests/scripts/*.nt and every preset, headless),
# the CLI error tests, the tmux screen tests and the fuzz smoke run (when the
# harnesses were built: make check builds them where clang is). Prints one
# closing line "N passed, N failed" and exits non-zero if anything failed.
# The tmux screen tests mostly wait on the screen, so they run in a second lane
# beside the rest (NOETHER_SERIAL=1: one after the other); their lines are
# printed after the first lane's.
BUILD=${1:-build}
BIN=${NOETHER_BIN:-./noether}
export NOETHER_BIN="$BIN"
pass=0; fail=0
log=$(mktemp); lane=$(mktemp -d); trap 'rm -rf "$log" "$lane"' EXIT

count() { # count LOG: "N N" from its last "N passed, N failed" line
	p=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$1" | tail -1 | sed -E 's/^(.*[^0-9])?([0-9]+) passed, ([0-9]+) failed.*$/\2 \3/')
	echo "$p"
}

# shell tests: sh_tests LOG FILE... prints a line per file and leaves
# "passed failed" in $sh_pass $sh_fail
sh_tests() {
	l=$1; shift
	sh_pass=0; sh_fail=0
	for t in "$@"; do
		[ -f "$t" ] || continue
		sh "$t" >"$l" 2>&1; rc=$?
		set -- $(count "$l")
		p=${1:-0}; f=${2:-0}
		if [ $rc -ne 0 ] && [ "$f" = 0 ]; then f=1; fi
		sh_pass=$((sh_pass + p)); sh_fail=$((sh_fail + f))
		if [ $rc -ne 0 ]; then echo "FAIL $t"; cat "$l"; else echo "ok   $t ($p checks)"; fi
	done
}

if [ "${NOETHER_SERIAL:-0}" != 1 ]; then
	( sh_tests "$lane/log" tests/screen/*.sh >"$lane/out"; echo "$sh_pass $sh_fail" >"$lane/counts" ) &
fi

for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	"$t" >"$log" 2>&1; rc=$?
	set -- $(count "$log")
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

if [ "${NOETHER_SERIAL:-0}" = 1 ]; then
	sh_tests "$log" tests/cli/*.sh tests/screen/*.sh tests/fuzz/smoke.sh
	pass=$((pass + sh_pass)); fail=$((fail + sh_fail))
else
	sh_tests "$log" tests/cli/*.sh tests/fuzz/smoke.sh
	pass=$((pass + sh_pass)); fail=$((fail + sh_fail))
	wait
	cat "$lane/out"
	set -- $(cat "$lane/counts" 2>/dev/null)
	pass=$((pass + ${1:-0})); fail=$((fail + ${2:-1}))
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
