#!/bin/sh
# test_text.sh — the text glitches of issue 13 (item 6): `show` without
# empty settings, stray numbers or a seed said twice; the conserved panel's
# footer and its scroll indicator apart at 60×20; message and status lines
# cut with an ellipsis; the prompt never says "press space"; an unknown preset
# on the command line is a usage error (exit 2) naming the presets.
# Run from the repository root; the binary is $NOETHER_BIN (default ./noether).
. tests/screen/harness.inc

# a preset of our own, so the expected text does not follow relu2's edits
mkdir -p "$TMP/p"
printf 'data teacher n=64 in=10 out=1 hidden=8 seed=1\nlayer dense 32\nlayer relu\nlayer dense 1\nloss mse\ninit normal std=0.2 seed=2\nschedule const 0.05\n' > "$TMP/p/t.nt"

S=tshow
start $S 100 40 NOETHER_PRESETS="$TMP/p" -- t
typecmd $S 'show' 1
wait_for $S "OUTPUT" 20
cap $S > "$TMP/show.txt"
grep -q "data: teacher n=64 in=10 out=1 hidden=8 seed=1 *│" "$TMP/show.txt"; check "show: the data line says its seed once" $?
grep -q "(seed" "$TMP/show.txt"; [ $? != 0 ]; check "show: no '(seed N)' after seed=N" $?
grep -q "init: normal std=0.2 seed=2 *│" "$TMP/show.txt"; check "show: init with its std and seed, nothing empty" $?
grep -q "std= \|=  " "$TMP/show.txt"; [ $? != 0 ]; check "show: no empty setting (std= )" $?
rows=$(grep -c "layer[0-9]\.[a-z-]* .* params *│" "$TMP/show.txt")
[ "$rows" = 3 ]; check "show: each layer row ends with its parameter count ($rows rows)" $?
grep -q "layer1.dense *dense 32 *10 -> 32 *352 params *│" "$TMP/show.txt"; check "show: the layer as typed (dense 32), shapes, 352 params" $?
T send-keys -t $S Escape
sleep 0.3
quit_clean $S "show"

S=t60
start $S 60 20 NOETHER_PRESETS="$TMP/p" -- t
cap $S > "$TMP/60.txt"
foot=$(grep "/32↓" "$TMP/60.txt" | head -n 1)
echo "$foot" | grep -q "│max [0-9.e+-]*\(  ε [0-9.e+-]*\)\? \+1-[0-9]*/32↓ │"; check "60x20: footer and indicator apart ($foot)" $?
grep -q "ε [0-9.e+-]*[0-9]-[0-9]*/32" "$TMP/60.txt"; [ $? != 0 ]; check "60x20: no drift value glued to the indicator" $?
sed -n '/PAUSED/p' "$TMP/60.txt" | grep -q "…$"; check "60x20: the status line ends in an ellipsis when cut" $?
typecmd $S 'echo a message that is much longer than the sixty columns of this terminal, so it is cut'
cap $S | grep -q "^a message that is much longer than the sixty columns of th.*…$"; check "60x20: a long message ends in an ellipsis" $?
T send-keys -t $S n
sleep 0.4
T send-keys -t $S NPage
sleep 0.4
foot=$(cap $S | grep "/32↓" | head -n 1)
echo "$foot" | grep -q "│max [0-9.e+-]*\(  ε [0-9.e+-]*\)\? \+↑[0-9]*-[0-9]*/32↓ │"; check "60x20: after a step and PgDn still apart ($foot)" $?
quit_clean $S "60x20 text"

# the prompt (no screen): never "press space"
S=trepl
shell $S 120 12
T send-keys -t $S "clear; cd '$ROOT'; '$BIN' --repl; echo DONE-\$?" Enter
wait_for $S "noether>" 30
T send-keys -t $S 'preset relu2' Enter
wait_for $S "preset relu2: 32 laws" 30; check "repl: preset loads" $?
cap $S | grep -q "press space"; [ $? != 0 ]; check "repl: no 'press space' at the prompt" $?
cap $S | grep -q "type step N"; check "repl: says how to train at the prompt" $?
T send-keys -t $S C-d
wait_for $S "DONE-0" 30
T kill-session -t $S

"$BIN" badname >"$TMP/o" 2>&1; rc=$?
[ $rc = 2 ]; check "noether badname: exit 2 (usage), got $rc" $?
grep -q "unknown preset 'badname'; presets: .*relu2" "$TMP/o"; check "noether badname: the message names the presets" $?
grep -q "(list: preset)" "$TMP/o"; [ $? != 0 ]; check "noether badname: no in-program hint on the command line" $?
S=tbad
shell $S 150 10
T send-keys -t $S "clear; cd '$ROOT'; '$BIN' badname; echo DONE-\$?" Enter
wait_for $S "DONE-2" 30; check "noether badname on a terminal: exit 2 too" $?
T kill-session -t $S

finish
