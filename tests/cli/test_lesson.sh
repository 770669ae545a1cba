#!/bin/sh
# test_lesson.sh — the lesson of the default preset, headless: under a constant
# step 0.05 the largest relative law drift grows at least 5x from k = 100 to
# k = 10^4, under τ0/(k+1) it changes by less than 10%, and the laws stay laws
# (constant step at 10^4: at most 0.1, and at most a fifth of the median
# relative change over the contrasts, read from `laws all`; decaying step far
# below). Two separate runs from the same θ0 (the preset's seeds).
BIN=${NOETHER_BIN:-./noether}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
pass=0; fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
no() { fail=$((fail + 1)); echo "not ok - $1"; }
ck() { if awk "BEGIN { exit !($1) }"; then ok "$2"; else no "$2 ($1)"; fi; }

for s in const decay; do
	"$BIN" -e "preset relu2; schedule $s 0.05; step 100; print laws.max-rel; step 9900; print laws.max-rel; laws all" \
		>"$T/$s" 2>&1 || { no "relu2 under $s runs"; cat "$T/$s"; }
done
a1=$(awk 'NR == 1 && $1 == "laws.max-rel" { print $3 }' "$T/const")
a2=$(awk 'NR == 2 && $1 == "laws.max-rel" { print $3 }' "$T/const")
b1=$(awk 'NR == 1 && $1 == "laws.max-rel" { print $3 }' "$T/decay")
b2=$(awk 'NR == 2 && $1 == "laws.max-rel" { print $3 }' "$T/decay")
# contrasts are the rows of `laws all` whose check column is "-"; rel is the column before
med=$(awk '$NF == "-" { print $(NF - 1) }' "$T/const" | sort -g |
	awk '{ v[NR] = $1 } END { if (NR == 0) print -1; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
nc=$(awk '$NF == "-"' "$T/const" | wc -l)
echo "# const: $a1 -> $a2; decay: $b1 -> $b2; median over $nc contrasts at 10^4: $med"
if [ -z "$a1" ] || [ -z "$a2" ] || [ -z "$b1" ] || [ -z "$b2" ]; then
	no "laws.max-rel printed at k=100 and k=10^4"; cat "$T/const" "$T/decay" | head
else
	ck "$nc == 68" "68 contrasts: two single terms per neuron and four tensor norms"
	ck "$a2 >= 5 * $a1" "constant step: drift grows >= 5x from k=100 to 10^4"
	ck "$b2 < 1.1 * $b1 && $b2 > 0.9 * $b1" "decaying step: drift changes < 10% from k=100 to 10^4"
	ck "$a2 <= 0.1" "constant step at 10^4: largest law drift <= 0.1"
	ck "$a2 <= $med / 5" "constant step at 10^4: largest law drift <= median contrast change / 5"
	ck "$b2 <= $a2 / 10" "decaying step at 10^4: far below the constant step"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
