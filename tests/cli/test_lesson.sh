#!/bin/sh
# test_lesson.sh — the lesson of the default preset, headless, as the tour runs
# it: `compare schedule const 0.05 decay 0.05`, then k = 100 and k = 10^4. Run
# A's largest relative law drift grows at least 5x, run B's changes by less
# than 10%, and the laws stay laws: A's at 10^4 is at most 0.1 and at most a
# fifth of the median relative change over A's contrasts (the table's
# median, which A.contrasts.median-rel must equal), B's far below A's.
BIN=${NOETHER_BIN:-./noether}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
pass=0; fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
no() { fail=$((fail + 1)); echo "not ok - $1"; }
ck() { if awk "BEGIN { exit !($1) }"; then ok "$2"; else no "$2 ($1)"; fi; }

"$BIN" -e "preset relu2; compare schedule const 0.05 decay 0.05; step 100; print A.laws.max-rel B.laws.max-rel; \
step 9900; print A.laws.max-rel B.laws.max-rel step B.step A.contrasts.median-rel; laws all" >"$T/o" 2>&1 || { no "relu2 under compare runs"; cat "$T/o"; }
v() { awk -v k="$1" -v n="$2" '$1 == k && ++seen == n { print $3 }' "$T/o"; }
a1=$(v A.laws.max-rel 1); b1=$(v B.laws.max-rel 1); a2=$(v A.laws.max-rel 2); b2=$(v B.laws.max-rel 2)
# run A's contrasts: the rows of its `laws all` table whose check column is "-"
# (name h(θ0) h(θk) |Δh| rel predicted check: rel is the fifth column)
awk '/^run A:/ { on = 1 } /^run B:/ { on = 0 } on && $NF == "-" && NF >= 6 { print $5 }' "$T/o" | sort -g > "$T/con"
nc=$(wc -l < "$T/con")
med=$(awk '{ v[NR] = $1 } END { if (NR == 0) print -1; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }' "$T/con")
echo "# A: $a1 -> $a2; B: $b1 -> $b2; median over A's $nc contrasts at 10^4: $med"
if [ -z "$a1" ] || [ -z "$a2" ] || [ -z "$b1" ] || [ -z "$b2" ]; then
	no "A.laws.max-rel and B.laws.max-rel printed at k=100 and k=10^4"; head -20 "$T/o"
else
	grep -q "^step = 10000$" "$T/o" && grep -q "^B.step = 10000$" "$T/o" && ok "both runs at step 10^4" || no "both runs at 10^4"
	ck "$nc == 68" "68 contrasts in run A: two single terms per neuron and four tensor norms"
	mm=$(v A.contrasts.median-rel 1)
	ck "$mm > 0 && ($mm - $med) / $mm < 1e-4 && ($med - $mm) / $mm < 1e-4" "A.contrasts.median-rel ($mm) = the median of the table"
	ck "$a2 >= 5 * $a1" "A (constant step): drift grows >= 5x from k=100 to 10^4"
	ck "$b2 < 1.1 * $b1 && $b2 > 0.9 * $b1" "B (decaying step): drift changes < 10% from k=100 to 10^4"
	ck "$a2 <= 0.1" "A at 10^4: largest law drift <= 0.1"
	ck "$a2 <= $med / 5" "A at 10^4: largest law drift <= median contrast change / 5"
	ck "$b2 <= $a2 / 10" "B at 10^4: far below A"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
