#!/bin/sh
# test_valgrind.sh — a scripted session leaks nothing and touches no invalid
# memory (valgrind memcheck). Skipped, with a note, where valgrind is absent.
BIN=${NOETHER_BIN:-./noether}
pass=0; fail=0
if ! command -v valgrind >/dev/null 2>&1 || [ -n "$NOETHER_NO_VALGRIND" ]; then
	echo "skip - valgrind not available"; echo "0 passed, 0 failed"; exit 0
fi
case "$BIN" in *asan*) echo "skip - sanitizer build"; echo "0 passed, 0 failed"; exit 0 ;; esac
log=$(mktemp); csv=$(mktemp); fig=$(mktemp -d); trap 'rm -rf "$log" "$csv" "$fig"' EXIT
valgrind --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=definite,indirect \
	--error-exitcode=9 "$BIN" -e "preset relu2; step 50; laws all; show; export csv $csv; export plot $fig/a.png; export plot $fig/a.svg drift; export plot $fig/a.pdf loss; layer dense 3; layer pop; reseed; step 5; preset gelu2; step 3; laws; frobnicate" \
	>/dev/null 2>"$log"
rc=$?
if [ $rc -eq 1 ]; then pass=$((pass + 1)); echo "ok - scripted session: no invalid access, no leak (exit 1 from the deliberate bad command)"
else fail=$((fail + 1)); echo "not ok - valgrind exit $rc"; grep -A5 -E "Invalid|definitely|indirectly" "$log" | head -40; fi
# every block still in use at exit must be one a shared library allocated while
# it was loaded (pixman, under cairo, keeps its tables from its constructor):
# each loss record's stack passes through _dl_init; noether's own are all freed
awk '/loss record/ { rec = 1; dl = 0 } rec && /_dl_init/ { dl = 1 }
	rec && /^==[0-9]+== *$/ { if (!dl) bad++; rec = 0 } END { exit bad > 0 }' "$log" \
	&& { grep -q "All heap blocks were freed\|in use at exit" "$log"; } \
	&& { pass=$((pass + 1)); echo "ok - all heap blocks freed (but libraries' load-time tables)"; } \
	|| { fail=$((fail + 1)); echo "not ok - heap blocks in use at exit"; grep -A8 "loss record" "$log" | head -40; }
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
