#!/bin/sh
# test_valgrind.sh — a scripted session leaks nothing and touches no invalid
# memory (valgrind memcheck). Skipped, with a note, where valgrind is absent.
BIN=${NOETHER_BIN:-./noether}
pass=0; fail=0
if ! command -v valgrind >/dev/null 2>&1 || [ -n "$NOETHER_NO_VALGRIND" ]; then
	echo "skip - valgrind not available"; echo "0 passed, 0 failed"; exit 0
fi
case "$BIN" in *asan*) echo "skip - sanitizer build"; echo "0 passed, 0 failed"; exit 0 ;; esac
log=$(mktemp); csv=$(mktemp); trap 'rm -f "$log" "$csv"' EXIT
valgrind --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
	--error-exitcode=9 "$BIN" -e "preset relu2; step 50; laws all; show; export csv $csv; layer dense 3; layer pop; reseed; step 5; preset gelu2; step 3; laws; frobnicate" \
	>/dev/null 2>"$log"
rc=$?
if [ $rc -eq 1 ]; then pass=$((pass + 1)); echo "ok - scripted session: no invalid access, no leak (exit 1 from the deliberate bad command)"
else fail=$((fail + 1)); echo "not ok - valgrind exit $rc"; grep -A5 -E "Invalid|definitely|indirectly" "$log" | head -40; fi
grep -q "All heap blocks were freed" "$log" && { pass=$((pass + 1)); echo "ok - all heap blocks freed"; } \
	|| { fail=$((fail + 1)); echo "not ok - heap blocks in use at exit"; grep "in use at exit" "$log"; }
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
