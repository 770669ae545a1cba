#!/bin/sh
# test_long.sh — long work never blocks input (issue 13, item 2): `laws
# count` on a D≈4500 model (about 4 s: it must outlast the keys the test
# types) runs on a worker while the screen answers every key (worst
# key-to-frame latency under 50 ms by `stats`), shows its progress in the
# status line, throws away keys typed meanwhile, and Esc cancels it
# with "cancelled at"; a sweep shows a fraction and an estimate and Ctrl-C
# cancels it; `step N` runs in the loop's slices with the step counter moving
# and Esc cancels it at an exact step; headless, the same progress goes to
# stderr when it is a terminal and nowhere when it is not.
# Run from the repository root; the binary is $NOETHER_BIN (default ./noether).
. tests/screen/harness.inc

mkdir -p "$TMP/p"
printf 'data teacher n=64 in=10 out=1 seed=1\nlayer dense 300\nlayer relu\nlayer dense 4\nlayer relu\nlayer dense 1\nloss mse\n' > "$TMP/p/big.nt"
D=$(NOETHER_PRESETS="$TMP/p" "$BIN" -e 'preset big; print params' | sed -n 's/params = //p')
[ "$D" -ge 4400 ] && [ "$D" -le 4600 ]; check "the model has D≈4500 ($D)" $?

S=lc
start $S 80 24 NOETHER_PRESETS="$TMP/p" -- big
typecmd $S 'laws count' 0.2
wait_for $S "WORKING laws count" 20; check "laws count: the status line says it is working" $?
# keys while it works: each is answered at once; none of them runs later
for k in n n x '?' 5; do T send-keys -t $S "$k"; sleep 0.15; done
cap $S > "$TMP/lc.txt"
grep -q "busy with laws count: Esc cancels it" "$TMP/lc.txt"; check "laws count: a key is answered with what is going on" $?
wait_for $S "WORKING laws count .*[0-9]% [0-9.]* s.*· [a-z]" 100; check "laws count: fraction, time and stage in the status line" $?
grep -q "CONSERVED · 304 laws" "$TMP/lc.txt"; check "laws count: the last frame stays on screen" $?
wait_for $S "OUTPUT" 400; check "laws count: the result opens in the output overlay" $?
T send-keys -t $S End
sleep 0.4
cap $S | grep -q "laws: lower=304 upper=304"; check "laws count: the count is there (304 laws)" $?
T send-keys -t $S Escape
sleep 0.3
[ "$(step_of $S)" = 0 ]; check "laws count: the keys typed meanwhile did not run afterwards (step $(step_of $S))" $?
cap $S | grep -q "HELP"; [ $? != 0 ]; check "laws count: ? typed meanwhile opened nothing" $?
cap $S | grep -q "DRIFT"; check "laws count: 5 typed meanwhile hid no panel" $?
typecmd $S 'laws count' 0.6
T send-keys -t $S Escape
wait_for $S "laws count cancelled at [0-9]*% (.*) after [0-9.]* s" 100; check "laws count: Esc cancels, saying where and after how long" $?
wait_gone $S "WORKING" 20
typecmd $S 'stats' 0.5
lat=$(cap $S | sed -n 's/.*worst input-to-frame latency: \([0-9.]*\) ms.*/\1/p')
awk -v l="$lat" 'BEGIN { exit !(l != "" && l < 50) }'; check "laws count on D=$D: worst key-to-frame latency $lat ms < 50 ms" $?
T send-keys -t $S Escape
sleep 0.3
quit_clean $S "laws count"

S=sw
start $S 80 24
typecmd $S 'sweep tau 1e-3 3e-3 1e-2 3e-2 steps=30000' 0.5
wait_for $S "WORKING sweep tau .*[0-9]% [0-9.]* s, ~[0-9]* s left" 100; check "sweep: fraction, elapsed and estimate in the status line" $?
cap $S | grep -q "Esc cancels"; check "sweep: the status line says how to cancel" $?
T send-keys -t $S C-c
wait_for $S "sweep tau cancelled at [0-9]*% (τ=" 50; check "sweep: Ctrl-C cancels with where it was" $?
cap $S | grep -q "DRIFT vs τ"; [ $? != 0 ]; check "sweep: a cancelled sweep plots nothing" $?
T send-keys -t $S n
sleep 0.4
[ "$(step_of $S)" = 1 ]; check "sweep: the screen takes keys again after cancelling" $?
quit_clean $S "sweep"

S=st
start $S 80 24
typecmd $S 'step 400000' 0.6
wait_for $S "STEPPING" 20; check "step N: progress in the status line" $?
s1=$(cap $S | sed -n 's/.*STEPPING \([0-9,]*\)\/400,000.*/\1/p' | tr -d ,)
sleep 0.6
s2=$(cap $S | sed -n 's/.*STEPPING \([0-9,]*\)\/400,000.*/\1/p' | tr -d ,)
[ -n "$s1" ] && [ -n "$s2" ] && [ "$s2" -gt "$s1" ]; check "step N: the count moves while it runs ($s1 -> $s2)" $?
T send-keys -t $S Escape
wait_for $S "step 400000 cancelled at step" 20; check "step N: Esc cancels with 'cancelled at step'" $?
at=$(cap $S | sed -n 's/.*cancelled at step \([0-9]*\) .*/\1/p')
sleep 0.3
[ -n "$at" ] && [ "$(step_of $S)" = "$at" ]; check "step N: it stopped at the step it names ($at)" $?
typecmd $S 'step 20'
[ "$(step_of $S)" = $((at + 20)) ]; check "step N: then step 20 takes exactly 20 ($(step_of $S))" $?
quit_clean $S "step N"

# headless: progress on stderr when it is a terminal, silent otherwise
S=hl
shell $S 100 10
T send-keys -t $S "clear; cd '$ROOT'; '$BIN' -e 'preset relu2; step 400000' >/dev/null; echo DONE-\$?" Enter
wait_for $S "\[#*-*\] *[0-9]*% step 400000" 50; check "headless: progress bar on stderr (a terminal)" $?
wait_for $S "s left" 100; check "headless: with an estimate of the time left" $?
T send-keys -t $S C-c
wait_for $S "DONE-" 100
cap $S | grep -q "%"; [ $? != 0 ]; check "headless: the progress line is erased when it stops" $?
T kill-session -t $S
S=hl2
shell $S 120 10
T send-keys -t $S "clear; cd '$ROOT'; NOETHER_PRESETS='$TMP/p' '$BIN' -e 'preset big; laws count' >/dev/null; echo DONE-\$?" Enter
wait_for $S "\[#*-*\] *[0-9]*% count: " 100; check "headless: laws count shows its fraction and stage on stderr" $?
wait_for $S "DONE-0" 600
cap $S | grep -q "%"; [ $? != 0 ]; check "headless: the laws count progress line is erased at the end" $?
T kill-session -t $S
"$BIN" -e 'preset relu2; step 300000' >/dev/null 2>"$TMP/err"
[ ! -s "$TMP/err" ]; check "headless: nothing on stderr when it is not a terminal" $?

finish
