#!/bin/sh
# test_keys.sh — keys and the mouse (issue 13, item 4): escape sequences the
# terminfo entry does not know (TERM=xterm-256color inside tmux: End arrives
# as ESC [ 4 ~) are consumed whole, so End in an overlay changes nothing but
# the overlay and Alt-1 hides no panel; a click focuses a panel (PgDn then
# scrolls it alone), the wheel scrolls the panel under it, the hints and the
# status word are buttons, "Esc cancels" is one while work runs; --no-mouse
# leaves the mouse alone and is documented.
# Run from the repository root; the binary is $NOETHER_BIN (default ./noether).
. tests/screen/harness.inc

tau_of() { cap "$1" | sed -n 's/.*│ τ \([0-9.e+-]*\) .*/\1/p' | head -n 1; }
# "a-b/N" indicators of the two quantity panels' footers, left then right
inds() { cap "$1" | grep -o '[0-9]*-[0-9]*/[0-9]*' | tr '\n' ' '; }

S=kx
start $S 80 24 TERM=xterm-256color --
tau0=$(tau_of $S)
T send-keys -t $S l
wait_for $S "OUTPUT" 20; check "xterm in tmux: l opens the laws table" $?
T send-keys -t $S End
sleep 0.5
cap $S | grep -q "OUTPUT"; check "End in the overlay: the overlay stays open" $?
last=$(cap $S | sed -n 's/.*scroll · \([0-9]*\)-\([0-9]*\) of \([0-9]*\).*/\2 \3/p')
set -- $last
[ -n "$1" ] && [ "$1" = "$2" ]; check "End in the overlay: scrolled to its last row ($1 of $2)" $?
T send-keys -t $S Escape
wait_gone $S "OUTPUT" 20
[ "$(tau_of $S)" = "$tau0" ]; check "End in the overlay: τ unchanged ($(tau_of $S))" $?
cap $S | grep -q "DRIFT"; check "End in the overlay: the drift panel still shown" $?
cap $S | grep -q "not bound"; [ $? != 0 ]; check "End in the overlay: no stray key reported" $?
T send-keys -t $S M-1
sleep 0.5
cap $S | head -n 1 | grep -q "^noether teacher"; check "Alt-1: panel 1 (the summary line) stays" $?
cap $S | grep -q "panel 1"; [ $? != 0 ]; check "Alt-1: no panel toggled" $?
T send-keys -t $S End
sleep 0.4
inds $S | grep -q "26-32/32"; check "End on the panels: the quantity panels scroll to their last rows" $?
# xterm's terminfo announces SGR mouse reports (kmous=ESC [ <)
T send-keys -t $S -l "$(printf '\033[<0;6;5M\033[<0;6;5m')"
wait_for $S "conserved panel focused" 20; check "xterm: an SGR mouse click focuses a panel" $?
quit_clean $S "xterm keys"

# the mouse (xterm X10 reports, as tmux passes them on), on a model whose
# two panels both scroll (104 laws, 10 contrasts)
mkdir -p "$TMP/p"
printf 'data teacher n=64 in=10 out=1 seed=1\nlayer dense 100\nlayer relu\nlayer dense 4\nlayer relu\nlayer dense 1\nloss mse\n' > "$TMP/p/big.nt"
S=km
start $S 80 24 NOETHER_PRESETS="$TMP/p" -- big
set -- $(inds $S)
[ "$1" = "1-7/104" ] && [ "$2" = "1-7/10" ]; check "both panels scroll ($1 $2)" $?
click $S 5 4
wait_for $S "conserved panel focused" 20; check "click on the conserved panel focuses it" $?
T send-keys -t $S NPage
sleep 0.4
set -- $(inds $S)
[ "$1" = "7-13/104" ] && [ "$2" = "1-7/10" ]; check "PgDn scrolls the focused panel alone ($1 $2)" $?
click $S 50 5 65
sleep 0.4
set -- $(inds $S)
[ "$1" = "7-13/104" ] && [ "$2" = "4-10/10" ]; check "the wheel scrolls the panel under it by 3 rows, the other stays ($1 $2)" $?
click $S 50 5 64
sleep 0.4
set -- $(inds $S)
[ "$2" = "1-7/10" ]; check "wheel up scrolls back ($2)" $?
y=$(( $(cap $S | grep -n "space run/pause" | tail -n 1 | cut -d: -f1) - 1 ))
x=$(( $(cap $S | sed -n "$((y + 1))p" | sed 's/? help.*//' | wc -m) - 1 ))
click $S "$x" "$y"
wait_for $S "HELP" 20; check "click on the '? help' button opens the help" $?
click $S 0 0
wait_gone $S "HELP" 20; check "click outside the overlay closes it" $?
sy=$(( $(cap $S | grep -n "PAUSED" | head -n 1 | cut -d: -f1) - 1 ))
click $S 2 "$sy"
wait_for $S "RUNNING" 20; check "click on the PAUSED word runs" $?
click $S 2 "$sy"
wait_for $S "PAUSED" 20; check "a second click pauses" $?
typecmd $S 'step 400000' 0.5
cy=$(( $(cap $S | grep -n "Esc cancels" | head -n 1 | cut -d: -f1) - 1 ))
click $S 75 "$cy"
wait_for $S "cancelled at step" 20; check "click on 'Esc cancels' cancels a long step N" $?
quit_clean $S "mouse"

S=kn
start $S 80 24 -- --no-mouse
y=$(( $(cap $S | grep -n "space run/pause" | tail -n 1 | cut -d: -f1) - 1 ))
x=$(( $(cap $S | sed -n "$((y + 1))p" | sed 's/? help.*//' | wc -m) - 1 ))
click $S "$x" "$y"
sleep 0.5
cap $S | grep -q "HELP"; [ $? != 0 ]; check "--no-mouse: a click does nothing" $?
cap $S | grep -q "not bound"; [ $? != 0 ]; check "--no-mouse: its bytes act as no key" $?
quit_clean $S "--no-mouse"

"$BIN" --help | grep -q -- "--no-mouse"; check "--help lists --no-mouse" $?
grep -q -- 'no\\-mouse' man/noether.1; check "the man page lists --no-mouse" $?
grep -q -- '--no-mouse' README.md; check "the README mentions --no-mouse" $?

finish
