#!/bin/sh
# test_headless.sh — what used to live only on the screen works in scripts:
# compare (both runs step, B.METRIC reads run B, expect on B. can fail, CSV
# has both runs), sweep, portrait, the generation counters (a data or layer
# change ends a comparison, a schedule change keeps θ), and screen commands
# whose arguments are checked headless too.
BIN=${NOETHER_BIN:-./noether}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
pass=0; fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
no() { fail=$((fail + 1)); echo "not ok - $1"; }
check() { if [ "$1" = "$2" ]; then ok "$3"; else no "$3 (got '$1', want '$2')"; fi; }
# the full-batch 10-32-1 ReLU net (written out: presets change, this must not)
NET='data teacher n=64 in=10 out=1 hidden=8 seed=1; layer dense 32; layer relu; layer dense 1; init normal std=0.2 seed=2'

"$BIN" -e "$NET; compare schedule const 0.05 decay 0.05; step 200; print A.laws.max-rel B.laws.max-rel B.step step" >"$T/o" 2>&1
check $? 0 "compare headless: exit 0"
a=$(sed -n 's/^A.laws.max-rel = //p' "$T/o"); b=$(sed -n 's/^B.laws.max-rel = //p' "$T/o")
[ -n "$a" ] && [ -n "$b" ] && [ "$a" != "$b" ] && ok "A and B print two different drifts ($a, $b)" || no "A and B drifts ($a, $b)"
grep -q "^B.step = 200$" "$T/o" && grep -q "^step = 200$" "$T/o" && ok "step 200 stepped both runs" || no "both runs stepped"
awk -v a="$a" -v b="$b" 'BEGIN { exit !(a > 5 * b) }' && ok "const drifts more than decay (A > 5 B)" || no "A > 5 B"

"$BIN" -e "$NET; compare schedule const 0.05 decay 0.05; step 100; expect B.laws.max-rel > 1" >"$T/o" 2>&1
check $? 1 "a false expect on B. fails the script"
grep -q "expect failed: B.laws.max-rel" "$T/o" && ok "the failure names B's metric" || no "B failure message"
"$BIN" -e "$NET; compare schedule const 0.05 decay 0.05; step 100; expect B.laws.max-rel < A.laws.max-rel; expect B.layer2.relu.n3 is law" >"$T/o" 2>&1
check $? 0 "true expects on B. pass (metric against metric, roles)"
"$BIN" -e "$NET; step 3; print B.loss" >"$T/o" 2>&1
check $? 1 "B. without a comparison: exit 1"
grep -q "no run B" "$T/o" && ok "and says there is no run B" || no "no run B message"

"$BIN" -e "$NET; compare schedule const 0.05 decay 0.05; step 20; export csv $T/ab.csv" >"$T/o" 2>&1
check $? 0 "export csv under compare"
hdr=$(grep -v '^#' "$T/ab.csv" | head -1)
echo "$hdr" | grep -q "^step,tau,loss,law:layer2.relu.n0," && echo "$hdr" | grep -q ",B.tau,B.loss,B.law:layer2.relu.n0," \
	&& ok "CSV header: A's columns then B.* columns" || no "CSV header ($hdr)"
grep -q "^# compare schedule: A = schedule const 0.05; B = schedule decay 0.05" "$T/ab.csv" && ok "CSV says what is compared" || no "CSV compare line"
rows=$(grep -v '^#' "$T/ab.csv" | tail -n +2 | wc -l)
check "$rows" 21 "one row per step for both runs"
btau=$(grep -v '^#' "$T/ab.csv" | awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "B.tau") c = i } NR == 12 { print $c }')
awk -v t="$btau" 'BEGIN { d = t - 0.05 / 11; exit !(d < 1e-15 && d > -1e-15) }' && ok "B's τ on the row of k=10 is 0.05/11" || no "B's τ at k=10 ($btau)"

# generation counters: a schedule change keeps θ, a layer or data change ends compare
"$BIN" -e "$NET; compare schedule const 0.05 decay 0.05; step 30; schedule const 0.01; print step B.step; layer dense 1; step 1; print step" >"$T/o" 2>&1
grep -q "^step = 30$" "$T/o" && grep -q "^B.step = 30$" "$T/o" && ok "a schedule change does not reset θ (still step 30)" || no "schedule keeps steps"
grep -q "compare ended" "$T/o" && ok "a new layer ends the comparison, with a notice" || no "layer ends compare"
"$BIN" -e "$NET; compare wd 0 0.01; step 5; data teacher n=32 in=10 out=1 seed=4; step 1; print B.step" >"$T/o" 2>&1
check $? 1 "after new data there is no run B"

# sweep and portrait headless
"$BIN" -e "$NET; sweep tau 0.01 0.02 0.04 steps=40 at=5,40" >"$T/o" 2>&1
check $? 0 "sweep headless"
grep -q "log-log slope of drift vs τ at k=5" "$T/o" && ok "sweep prints its slopes" || no "sweep slopes"
"$BIN" -e "$NET; portrait |layer1.dense.W[3,:], layer1.dense.b[3]| |layer3.dense.W[:,3]|; step 50; expect portrait.law == 1; expect portrait.rate < 1e-9; print portrait.level portrait.c0" >"$T/o" 2>&1
check $? 0 "portrait headless: a ReLU neuron's level set is a law"
grep -q "is a law here" "$T/o" && ok "portrait says so" || no "portrait verdict"
lv=$(sed -n 's/^portrait.level = //p' "$T/o"); c0=$(sed -n 's/^portrait.c0 = //p' "$T/o")
awk -v l="$lv" -v c="$c0" 'BEGIN { d = l - c; if (d < 0) d = -d; exit !(d > 0 && d < 1e-2 * (c < 0 ? -c : c)) }' \
	&& ok "x² − y² stays near c0 over 50 GD steps, moving by O(τ²) ($lv vs $c0)" || no "level drift ($lv vs $c0)"
"$BIN" -e "$NET; portrait |layer1.dense.W[3,:]| |layer3.dense.W[:,3]|; expect portrait.law == 0" >"$T/o" 2>&1
check $? 0 "portrait without the bias: not a law, and the check says so"

# screen commands: checked headless, then ignored
for bad in 'theme neon' 'speed -5' 'panel 99 on' 'plot dots' 'overlay nope' 'present maybe' 'scroll sideways'; do
	"$BIN" -e "$bad" >"$T/o" 2>&1; check $? 1 "headless '$bad' is refused"
done
"$BIN" -e 'theme light; speed 100; panel 4 off; caption "hi"; present on' >"$T/o" 2>&1
check $? 0 "valid screen commands are accepted headless"

# the CSV tells the truth: row 0 carries the τ in force after a schedule
# change; a vector law's columns are named by index (a 3-vector is not a 2x2
# matrix); predictions follow the law columns
"$BIN" -e 'data teacher n=16 in=3 out=1 seed=1; layer dense 4; layer relu; layer dense 1; schedule const 0.05; schedule const 0.02; step 2; schedule decay 0.1; export csv '"$T/t.csv" >"$T/o" 2>&1
taus=$(grep -v '^#' "$T/t.csv" | tail -n +2 | cut -d, -f2 | tr '\n' ' ')
check "$taus" "0.02 0.02 0.033333333333333333 " "row τ: the step size taken from that row (the one in force on the last)"
"$BIN" -e 'data teacher n=32 in=3 out=3 seed=1; layer moe experts=3 hidden=2; step 2; export csv '"$T/v.csv" >"$T/o" 2>&1
hdr=$(grep -v '^#' "$T/v.csv" | head -1)
echo "$hdr" | grep -q ",law:layer1.moe.gate.0,law:layer1.moe.gate.1,law:layer1.moe.gate.2," && ! echo "$hdr" | grep -q "gate.0.1" \
	&& ok "a vector law's columns are named by index" || no "vector law columns ($hdr)"
echo "$hdr" | grep -q ",pred:layer1.moe.gate.0," && ok "and its prediction columns follow" || no "pred columns"
grep -q "^# dynamics: gd$" "$T/v.csv" && ok "the CSV says which dynamics the labels are for" || no "dynamics line"

# a law with no exact one-step identity (an angle) is said to have none
"$BIN" -e 'preset sym-linear-mse; step 20; laws' >"$T/o" 2>&1
grep -q "no exact one-step identity .* for: angle" "$T/o" && ok "laws says which laws have no exact identity, and the bound in force" \
	|| no "no-identity note"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
