#!/bin/sh
# test_build.sh — building a model on the screen (issue 13, item 1): the
# README's "Build your own model" lines typed on the relu2 screen give exactly
# the README's model (a new model, announced, the title showing it while it is
# built), the same numbers as the lines run headless from nothing; a layer
# that does not fit changes nothing, says how to fix it, keeps its full text
# for `o`, and the next `step 5` steps; attention on non-sequence data is
# refused naming the data; `layer add` appends, `layer clear` empties.
# Run from the repository root; the binary is $NOETHER_BIN (default ./noether).
. tests/screen/harness.inc

# the text inside the output overlay, its wrapped rows joined
overlay_text() { cap "$1" | sed -n 's/^..│ \(.*\)│..$/\1/p' | tr '\n' ' ' | tr -s ' '; }

README_LINES='data teacher n=64 in=10 out=1 seed=1
layer dense 32
layer leaky-relu slope=0.1
layer dense 1 bias=off
loss mse
init normal std=0.2 seed=2
opt gd
schedule const 0.05
step 500'
# the lines must be the README's, in its order
printf '%s\n' "$README_LINES" > "$TMP/lines"
awk '/^Build your own model/ { on = 1; next } on && /^```$/ { n++; if (n == 2) exit; next } on && n == 1' README.md \
	| grep -v '^expect' > "$TMP/readme"
cmp -s "$TMP/lines" "$TMP/readme"; check "the lines typed are the README's build-your-own lines" $?
want=$("$BIN" -e "$(tr '\n' ';' < "$TMP/lines") print params loss" 2>&1 | tr '\n' ' ')

for size in 80x24 60x20; do
	w=${size%x*} h=${size#*x}
	S=b$w
	start $S "$w" "$h"
	typecmd $S "$(sed -n 1p "$TMP/lines")"
	typecmd $S "$(sed -n 2p "$TMP/lines")"
	wait_for $S "new model" 20; check "$size: the first layer after data announces a new model" $?
	cap $S | head -n 1 | grep -q "building: teacher n=64 in=10 → dense 32"; check "$size: the title shows the model being built" $?
	cap $S | grep -q "CONSERVED · not built"; check "$size: no stale laws while it is built" $?
	typecmd $S "$(sed -n 3p "$TMP/lines")"
	typecmd $S "$(sed -n 4p "$TMP/lines")"
	# (at 60 columns the title ends in an ellipsis after "dense")
	cap $S | head -n 1 | grep -q "noether teacher n=64 in=10 → dense 32 → leaky-relu → dense \(1 \|…\)"
	check "$size: after the last layer the title is the README's model" $?
	cap $S | grep -q "CONSERVED · 32 laws\|CONSERVED · 32"; check "$size: its 32 laws fill the panel at once" $?
	for k in 5 6 7 8 9; do typecmd $S "$(sed -n ${k}p "$TMP/lines")" 0.3; done
	wait_for $S "│ step 500 " 100; check "$size: step 500 ran" $?
	typecmd $S 'print params loss' 1
	got=$(cap $S | grep -o 'params = [0-9]*\|loss = [0-9.e+-]*' | tr '\n' ' ')
	[ -n "$got" ] && [ "$got" = "$want" ]; check "$size: same model and loss as headless ($got = $want)" $?
	T send-keys -t $S Escape
	sleep 0.3
	quit_clean $S "$size build"
done

# a layer that does not fit: nothing changes, the message says how to fix it
S=bfail
start $S 80 24
typecmd $S 'step 3'
title=$(cap $S | head -n 1)
typecmd $S 'layer residual { dense 16 , relu , dense 8 }'
wait_for $S "error" 20; check "bad layer: an error" $?
cap $S | grep -q "error .*… o: all"; check "bad layer: the long message is cut with an ellipsis and points at o" $?
[ "$(cap $S | head -n 1)" = "$title" ]; check "bad layer: the title is unchanged" $?
cap $S | grep -q "CONSERVED · 32 laws"; check "bad layer: the panels are unchanged" $?
T send-keys -t $S o
wait_for $S "OUTPUT" 20
overlay_text $S | grep -q "make the last inner block 10 wide) — nothing added, the model is unchanged"
check "bad layer: o shows the whole error, with how to fix it" $?
T send-keys -t $S Escape
sleep 0.3
typecmd $S 'step 5'
[ "$(step_of $S)" = 8 ]; check "bad layer: the next step 5 steps (3 -> $(step_of $S))" $?
typecmd $S 'layer add attn heads=2'
wait_for $S "error" 20
T send-keys -t $S o
wait_for $S "OUTPUT" 20
overlay_text $S | grep -q "mixes the positions of a sequence, but the data 'teacher n=512 in=10 out=1 hidden=8 noise=0.1 seed=6' has one position"
check "layer attn on teacher data: refused, naming the data" $?
T send-keys -t $S Escape
sleep 0.3
typecmd $S 'layer add relu'
cap $S | head -n 1 | grep -q "noether teacher n=512 in=10 → dense 32 → relu → dense 1 → relu "
check "layer add appends to the model (no new model)" $?
typecmd $S 'layer clear'
cap $S | head -n 1 | grep -q "building: teacher n=512 in=10 → no layers"; check "layer clear empties the model" $?
typecmd $S 'layer dense 8'
typecmd $S 'layer relu'
typecmd $S 'layer dense 1'
cap $S | head -n 1 | grep -q "noether teacher n=512 in=10 → dense 8 → relu → dense 1 "; check "after layer clear the layers build one model" $?
quit_clean $S "bad layer"

finish
