#!/bin/sh
# test_screen.sh — the live screen driven through tmux: start, run, pause,
# step, panels, help overlay, command line, errors, resize while running,
# monochrome and ASCII modes, signals, record/replay, and the terminal left
# clean after quitting. Each check prints `ok - ...` or `not ok - ...`; the
# last line is `N passed, N failed`; the exit status is non-zero on failure.
# Skips cleanly (0 passed, 0 failed) when tmux is not installed.
# Run from the repository root; the binary is $NOETHER_BIN (default ./noether).

BIN=${NOETHER_BIN:-./noether}
pass=0
fail=0

if ! command -v tmux >/dev/null 2>&1; then
	echo "# skip: tmux is not installed"
	echo "0 passed, 0 failed"
	exit 0
fi
case $BIN in /*) ;; *) BIN="$(pwd)/$BIN" ;; esac
if [ ! -x "$BIN" ]; then
	echo "not ok - binary $BIN is missing (run make first)"
	echo "0 passed, 1 failed"
	exit 1
fi

SOCK="noether-test-$$"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/noether-screen.XXXXXX")
T() { tmux -L "$SOCK" "$@"; }
cleanup() { T kill-server >/dev/null 2>&1; rm -rf "$TMP"; }
trap cleanup EXIT INT TERM

ok() { pass=$((pass + 1)); echo "ok - $1"; }
nok() { fail=$((fail + 1)); echo "not ok - $1"; }
check() { if [ "$2" = 0 ]; then ok "$1"; else nok "$1"; fi; }

cap() { T capture-pane -p -t "$1" 2>/dev/null; }
# wait_for SESSION REGEX [TENTHS]: polls the pane until it matches
wait_for() {
	n=0
	while [ "$n" -lt "${3:-50}" ]; do
		cap "$1" | grep -q -- "$2" && return 0
		sleep 0.1
		n=$((n + 1))
	done
	return 1
}
wait_gone() {
	n=0
	while [ "$n" -lt "${3:-50}" ]; do
		cap "$1" | grep -q -- "$2" || return 0
		sleep 0.1
		n=$((n + 1))
	done
	return 1
}
# step shown in the status bar (digits only)
step_of() { cap "$1" | sed -n 's/.*│ step \([0-9,]*\) .*/\1/p; s/.*| step \([0-9,]*\) .*/\1/p' | head -n 1 | tr -d ,; }

# start SESSION COLS ROWS [ENV...] -- [ARGS...]: a shell in a pane that runs
# noether and then prints DONE-<status>, so quitting shows the shell again.
start() {
	name=$1 w=$2 h=$3
	shift 3
	envs=""
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do envs="$envs $1"; shift; done
	[ "$1" = "--" ] && shift
	# the server of the last killed session may still be exiting: retry once
	T new-session -d -s "$name" -x "$w" -y "$h" "env PS1='$ ' XDG_STATE_HOME='$TMP/state' sh" 2>/dev/null ||
		{ sleep 0.5; T new-session -d -s "$name" -x "$w" -y "$h" "env PS1='$ ' XDG_STATE_HOME='$TMP/state' sh"; } || return 1
	T set-option -t "$name" status off >/dev/null
	T send-keys -t "$name" "clear; env$envs '$BIN' $*; echo DONE-\$?" Enter
	wait_for "$name" "CONSERVED" 80 || wait_for "$name" "too small" 10
}

# quit_clean SESSION LABEL [KEYS]: quits and checks the shell is back
quit_clean() {
	T send-keys -t "$1" "${3:-q}"
	if wait_for "$1" "DONE-0" 50; then ok "$2: quit returns to the shell (status 0)"; else nok "$2: quit returns to the shell (status 0)"; fi
	if cap "$1" | grep -q -e "CONSERVED" -e "CONTRAST" -e "PAUSED" -e "RUNNING"; then
		nok "$2: no screen content left after quitting"
	else
		ok "$2: no screen content left after quitting"
	fi
	T kill-session -t "$1" >/dev/null 2>&1
}

# ---- 80x24: the full tour ------------------------------------------------
S=s80
if start $S 80 24; then ok "80x24: starts and shows the conserved panel"; else nok "80x24: starts and shows the conserved panel"; fi
cap $S | grep -q "CONTRAST"; check "80x24: contrast panel beside it" $?
cap $S | grep -q "DRIFT"; check "80x24: drift plot shown" $?
cap $S | grep -q "PAUSED"; check "80x24: starts paused" $?
s0=$(step_of $S)
[ "$s0" = 0 ]; check "80x24: status bar shows step 0 (got '$s0')" $?

T send-keys -t $S ' '
wait_for $S "RUNNING" 20; check "80x24: space runs" $?
sleep 1
s1=$(step_of $S)
[ -n "$s1" ] && [ "$s1" -gt 0 ]; check "80x24: step counter advances while running ($s1)" $?
T send-keys -t $S ' '
wait_for $S "PAUSED" 20; check "80x24: space pauses" $?
sleep 0.2
s2=$(step_of $S); sleep 0.5; s3=$(step_of $S)
[ -n "$s2" ] && [ "$s2" = "$s3" ]; check "80x24: paused step stays put ($s2 = $s3)" $?
T send-keys -t $S n
sleep 0.4
s4=$(step_of $S)
[ -n "$s4" ] && [ "$s4" -eq $((s3 + 1)) ]; check "80x24: n takes one step ($s3 -> $s4)" $?

# laws flat, contrasts moving: worst law drift far below the largest contrast change
lmax=$(cap $S | sed -n "s/.*│max \([0-9.e+-]*\)  ε.*/\1/p" | head -n 1)
cmax=$(cap $S | sed -n 's/.*max change \([0-9.e+-]*\).*/\1/p' | head -n 1)
awk -v l="$lmax" -v c="$cmax" 'BEGIN { exit !(l != "" && c != "" && l + 0 < (c + 0) / 100) }'
check "80x24: laws flat, contrasts moving (law max $lmax, contrast max $cmax)" $?

T send-keys -t $S '?'
wait_for $S "HELP" 20; check "80x24: ? opens the help overlay" $?
cap $S | grep -q "toggle"; check "80x24: help lists key commands" $?
T send-keys -t $S Escape
wait_gone $S "HELP" 20; check "80x24: Esc closes the help overlay" $?

T send-keys -t $S 3
wait_gone $S "CONTRAST" 20; check "80x24: key 3 hides the contrast panel" $?
T send-keys -t $S 3
wait_for $S "CONTRAST" 20; check "80x24: key 3 shows it again" $?

T send-keys -t $S ':'
sleep 0.2
T send-keys -t $S 'step 5' Enter
sleep 0.5
s5=$(step_of $S)
[ -n "$s5" ] && [ "$s5" -eq $((s4 + 5)) ]; check "80x24: typed command 'step 5' ($s4 -> $s5)" $?
T send-keys -t $S Enter
sleep 0.5
s6=$(step_of $S)
[ -n "$s6" ] && [ "$s6" -eq $((s5 + 5)) ]; check "80x24: Enter repeats the last command ($s5 -> $s6)" $?
T send-keys -t $S ':'
sleep 0.2
T send-keys -t $S 'frobnicate 3' Enter
wait_for $S "error" 20; check "80x24: a bad command shows an error line" $?
cap $S | grep -q "CONSERVED"; check "80x24: panels intact after the error" $?

T send-keys -t $S ']'
wait_for $S "schedule" 20; check "80x24: ] moves tau up the ladder" $?

T send-keys -t $S ' '
wait_for $S "RUNNING" 20
T resize-window -t $S -x 120 -y 40
sleep 0.5
wait_for $S "CONSERVED" 20; check "80x24: resized to 120x40 while running" $?
T resize-window -t $S -x 50 -y 15
wait_for $S "terminal too small: need 60" 20; check "resize to 50x15: says terminal too small" $?
T resize-window -t $S -x 80 -y 24
wait_for $S "CONSERVED" 20; check "resize back to 80x24: panels again" $?
T send-keys -t $S ' '
wait_for $S "PAUSED" 20
quit_clean $S "80x24"

# ---- 60x20: the minimum --------------------------------------------------
S=s60
if start $S 60 20; then ok "60x20: starts"; else nok "60x20: starts"; fi
cap $S | grep -q "CONTRAST"; check "60x20: both panels fit" $?
cap $S | grep -q "too small"; [ $? != 0 ]; check "60x20: not reported too small" $?
T send-keys -t $S n
sleep 0.4
[ "$(step_of $S)" = 1 ]; check "60x20: n steps" $?
quit_clean $S "60x20"

# ---- 200x60: big terminal -------------------------------------------------
S=s200
if start $S 200 60; then ok "200x60: starts"; else nok "200x60: starts"; fi
cap $S | grep -q "log10 drift"; check "200x60: sparklines shown" $?
cap $S | grep -q "h(θ0)"; check "200x60: h(θ0) and h(θk) columns shown" $?
T send-keys -t $S ' '
sleep 1
T send-keys -t $S ' '
wait_for $S "PAUSED" 20
s=$(step_of $S)
[ -n "$s" ] && [ "$s" -gt 0 ]; check "200x60: run and pause ($s steps)" $?
T resize-window -t $S -x 60 -y 20
wait_for $S "CONSERVED" 20; check "200x60: shrink to 60x20" $?
quit_clean $S "200x60" F10

# ---- NO_COLOR and --no-unicode -------------------------------------------
S=snc
start $S 80 24 NO_COLOR=1 -- ; check "NO_COLOR=1: starts" $?
T capture-pane -e -p -t $S > "$TMP/nc.txt"
grep -q "$(printf '\033')\[[0-9;]*3[0-7]m" "$TMP/nc.txt"; [ $? != 0 ]; check "NO_COLOR=1: no colour escapes on screen" $?
grep -q "CONSERVED" "$TMP/nc.txt"; check "NO_COLOR=1: readable (titles, no colour needed)" $?
grep -q "PAUSED" "$TMP/nc.txt"; check "NO_COLOR=1: run state spelled out" $?
quit_clean $S "NO_COLOR"

S=sasc
start $S 80 24 -- --no-unicode; check "--no-unicode: starts" $?
T send-keys -t $S ' '
sleep 0.8
T send-keys -t $S ' '
wait_for $S "PAUSED" 20
cap $S > "$TMP/asc.txt"
LC_ALL=C grep -q "$(printf '[\200-\377]')" "$TMP/asc.txt"; [ $? != 0 ]; check "--no-unicode: only ASCII on screen" $?
grep -q "CONSERVED" "$TMP/asc.txt" && grep -q "tau" "$TMP/asc.txt"; check "--no-unicode: readable (tau spelled out)" $?
quit_clean $S "--no-unicode"

# ---- signals -------------------------------------------------------------
S=ssig
start $S 80 24
T send-keys -t $S ' '
wait_for $S "RUNNING" 20
T send-keys -t $S C-c
wait_for $S "PAUSED" 20; check "Ctrl-C pauses a run" $?
T send-keys -t $S C-c
wait_for $S "DONE-0" 30; check "Ctrl-C twice quits" $?
T kill-session -t $S

S=sterm
start $S 80 24
sh_pid=$(T display -p -t $S '#{pane_pid}')
nt_pid=$(ps -o pid= --ppid "$sh_pid" 2>/dev/null | tr -d ' ' | head -n 1)
if [ -n "$nt_pid" ]; then
	T send-keys -t $S ' '
	sleep 0.3
	kill -TERM "$nt_pid"
	wait_for $S "DONE-143" 30; check "SIGTERM ends the screen (status 143)" $?
	cap $S | grep -q "CONSERVED"; [ $? != 0 ]; check "SIGTERM leaves the terminal clean" $?
else
	nok "SIGTERM: could not find the process"
fi
T kill-session -t $S >/dev/null 2>&1

# ---- record and replay ---------------------------------------------------
S=srec
start $S 80 24 -- --record "$TMP/rec.nt"
T send-keys -t $S n
T send-keys -t $S n
sleep 0.3
T send-keys -t $S ':'
sleep 0.2
T send-keys -t $S 'step 7' Enter
sleep 0.4
T send-keys -t $S ' '
sleep 0.7
T send-keys -t $S ' '
wait_for $S "PAUSED" 20
want=$(step_of $S)
quit_clean $S "record"
grep -q "^step 7" "$TMP/rec.nt" && grep -q "^# key n" "$TMP/rec.nt"; check "record: keys and commands written" $?
S=srep
start $S 80 24 -- --replay "$TMP/rec.nt"
wait_for $S "replay finished" 100; check "replay: runs to the end" $?
got=$(step_of $S)
[ -n "$want" ] && [ "$got" = "$want" ]; check "replay: same step count ($got = $want)" $?
quit_clean $S "replay"

# ---- compare (twin runs), portrait, save session, overlays ---------------
# footers "max X  ε Y" of the conserved panels, left (A) then right (B)
maxes() { cap "$1" | grep -o 'max [0-9.e+-]*  ε' | sed 's/max \([^ ]*\).*/\1/'; }
typecmd() { T send-keys -t "$1" ':'; sleep 0.2; T send-keys -t "$1" "$2" Enter; sleep "${3:-0.5}"; }
gt() { awk -v a="$1" -v b="$2" -v k="${3:-1}" 'BEGIN { exit !(a != "" && b != "" && a + 0 > k * (b + 0)) }'; }

for size in 80x24 200x60; do
	w=${size%x*} h=${size#*x}
	S=scmp$w
	start $S "$w" "$h"
	typecmd $S 'compare schedule const 0.05 decay 0.05'
	wait_for $S "A · const τ=0.05 · CONSERVED 32" 20; check "$size compare: A panel titled with its setting" $?
	cap $S | grep -q "B · decay τ0=0.05 · CONSERVED 32"; check "$size compare: B panel beside it" $?
	cap $S | grep -q "DRIFT A/B"; check "$size compare: drift plot has both runs" $?
	cap $S | grep -q "PAUSED  A/B"; check "$size compare: status bar says A/B" $?
	typecmd $S 'step 10'
	set -- $(maxes $S); a10=$1 b10=$2
	typecmd $S 'step 290' 1
	[ "$(step_of $S)" = 300 ] && cap $S | grep -q "step 300 (B 300)"; check "$size compare: A and B step-locked at 300" $?
	set -- $(maxes $S); a300=$1 b300=$2
	gt "$a300" "$a10" 2; check "$size compare: constant-step drift grows ($a10 -> $a300)" $?
	gt "$b300" "$b10" 1.1; [ $? != 0 ] && gt "$b10" 0; check "$size compare: decaying-step drift levels off ($b10 -> $b300)" $?
	gt "$a300" "$b300" 3; check "$size compare: A drifts more than B ($a300 vs $b300)" $?
	T send-keys -t $S ' '
	sleep 1
	T send-keys -t $S ' '
	wait_for $S "PAUSED" 20
	set -- $(maxes $S); a_run=$1 b_run=$2
	s_run=$(step_of $S)
	# full-batch GD: past k=300 A's drift has levelled off at the panel's 3
	# digits (the gradients vanish), so "moves" means: both advanced together
	# and neither drift went back
	gt "$s_run" 300 && ! gt "$a300" "$a_run" && ! gt "$b_run" "$b300" 1.01 && cap $S | grep -q "(B $(cap $S | sed -n 's/.*│ step \([0-9,]*\) .*/\1/p' | head -n 1))"
	check "$size compare: running moves both (step $s_run; A $a300 -> $a_run, B $b300 -> $b_run)" $?
	typecmd $S 'r'
	typecmd $S 'reset'
	set -- $(maxes $S)
	[ "$(step_of $S)" = 0 ] && [ "$1" = 0 ] && [ "$2" = 0 ]; check "$size compare: reset puts both at θ0 (drift $1 $2)" $?
	typecmd $S 'compare off'
	wait_for $S "CONTRAST" 20; check "$size compare off: contrast panel back" $?
	cap $S | grep -q "A/B"; [ $? != 0 ]; check "$size compare off: single run" $?
	quit_clean $S "$size compare"
done

# portrait of the toy f = a·b·x: the trajectory rides a² − b² = c
mkdir -p "$TMP/p"
printf 'data teacher n=16 in=1 out=1 seed=1\nlayer dense 1 bias=off\nlayer dense 1 bias=off\nschedule const 0.01\n' > "$TMP/p/toy.nt"
for size in 80x24 200x60; do
	w=${size%x*} h=${size#*x}
	S=spor$w
	start $S "$w" "$h" NOETHER_PRESETS="$TMP/p" -- toy
	typecmd $S 'portrait layer1.dense.W[0,0] layer2.dense.W[0,0]'
	wait_for $S "PORTRAIT" 20; check "$size portrait: drawn" $?
	cap $S | grep -q "PORTRAIT.*is a law"; check "$size portrait: a² − b² labelled a law" $?
	cap $S | grep -q "LOSS"; [ $? != 0 ]; check "$size portrait: in place of the loss plot" $?
	c0=$(cap $S | sed -n 's/.*x²−y²: θ0 \([0-9.e+-]*\)  now.*/\1/p' | head -n 1)
	T send-keys -t $S ' '
	sleep 1.5
	T send-keys -t $S ' '
	wait_for $S "PAUSED" 20
	ck=$(cap $S | sed -n 's/.*x²−y²: θ0 [0-9.e+-]*  now \([0-9.e+-]*\).*/\1/p' | head -n 1)
	# relative drift of ||b||² (the first number in e-notation on its row)
	conk=$(cap $S | grep 'layer2.*W|^2' | grep -o '[0-9.]*e[+-][0-9]*' | head -n 1)
	awk -v a="$c0" -v b="$ck" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a != "" && b != "" && d < 0.01 * (a < 0 ? -a : a)) }'
	check "$size portrait: x²−y² flat along the trajectory ($c0 -> $ck)" $?
	gt "$conk" 0.1; check "$size portrait: while b² moves (relative change $conk)" $?
	cap $S | grep -q "0 θ0 k θk"; check "$size portrait: θ0 and θk marks explained" $?
	typecmd $S 'portrait off'
	wait_for $S "LOSS" 20; check "$size portrait off: loss plot back" $?
	quit_clean $S "$size portrait"
done

S=spn
start $S 200 60
typecmd $S 'portrait |layer1.dense.W[3,:]| |layer3.dense.W[:,3]|'
wait_for $S "PORTRAIT.*NOT a law" 20; check "portrait: a neuron's norms without its bias: NOT a law" $?
typecmd $S 'portrait |layer1.dense.W[3,:], layer1.dense.b[3]| |layer3.dense.W[:,3]|'
wait_for $S "PORTRAIT.*is a law" 20; check "portrait: with the bias: a law" $?
quit_clean $S "portrait neuron"

# save session from the screen (loop steps included) replays to the same θ
S=ssave
start $S 80 24
typecmd $S 'step 40'
T send-keys -t $S ' '
sleep 0.7
T send-keys -t $S ' '
wait_for $S "PAUSED" 20
typecmd $S 'schedule decay 0.03'
typecmd $S 'step 25'
typecmd $S 'print loss layer2.relu.n3.value'
wait_for $S "OUTPUT" 20
want=$(cap $S | grep -o 'loss = [0-9.e+-]*\|n3.value = [0-9.e+-]*' | tr '\n' ' ')
T send-keys -t $S Escape
typecmd $S "save session $TMP/sess.nt"
wait_for $S "wrote" 20; check "save session: written" $?
quit_clean $S "save session"
got=$("$BIN" -e "source $TMP/sess.nt; print loss layer2.relu.n3.value" 2>&1 | grep -o 'loss = [0-9.e+-]*\|n3.value = [0-9.e+-]*' | tr '\n' ' ')
[ -n "$want" ] && [ "$got" = "$want" ]; check "save session: replay gives the same loss and law to 17 digits ($got)" $?
"$BIN" -b "$TMP/sess.nt" >/dev/null 2>&1; check "save session: the file runs with -b and its expect step passes" $?

# laws count in the output overlay (long lines wrap, scrolls), completion list, panel scrolling
S=sovl
start $S 80 24
typecmd $S 'laws count' 2
wait_for $S "OUTPUT" 400; check "laws count: output overlay opens" $?
cap $S | grep -q "upper bound"; check "laws count: result readable in the overlay" $?
r1=$(cap $S | sed -n 's/.*scroll · \([0-9]*\)-.*/\1/p')
T send-keys -t $S NPage
sleep 0.3
r2=$(cap $S | sed -n 's/.*scroll · \([0-9]*\)-.*/\1/p')
gt "$r2" "$r1"; check "laws count: PgDn scrolls the overlay ($r1 -> $r2)" $?
T send-keys -t $S Escape
wait_gone $S "OUTPUT" 20; check "laws count: Esc closes the overlay" $?
T send-keys -t $S ':'
sleep 0.2
T send-keys -t $S 'sc' Tab
wait_for $S "completions (2)" 20; check "Tab: candidates listed inside the screen" $?
cap $S | grep -q "schedule *scroll"; check "Tab: both candidates shown" $?
T send-keys -t $S Escape
sleep 0.3
cap $S | grep -q "layer2.relu.n12 "; [ $? != 0 ]; check "panels: n12 not in view at first" $?
T send-keys -t $S NPage
sleep 0.3
cap $S | grep -q "layer2.relu.n12 "; check "PgDn scrolls the conserved panel (n12 in view)" $?
cap $S | grep -q "↑7-13/32↓"; check "scroll indicator shows rows 7-13 of 32" $?
T send-keys -t $S Home
sleep 0.3
cap $S | grep -q "1-7/32↓"; check "Home scrolls back" $?
quit_clean $S "overlay"

# ---- sweep tau: drift against tau, log-log, on screen ----------------------
# (on relu2-gd: full-batch GD, whose gradients shrink, so the late slope falls)
for size in 80x24 60x20; do
	w=${size%x*} h=${size#*x}
	S=ssw$w
	start $S "$w" "$h" -- relu2-gd
	typecmd $S 'sweep tau 1e-3 3e-3 1e-2 3e-2 steps=200' 1
	wait_for $S "DRIFT vs τ (log-log)" 100; check "$size sweep: plot titled DRIFT vs τ (log-log)" $?
	cap $S > "$TMP/sw.txt"
	grep -q "OUTPUT" "$TMP/sw.txt"; [ $? != 0 ]; check "$size sweep: the plot, not the table overlay, comes up" $?
	grep -q "CONSERVED" "$TMP/sw.txt"; [ $? != 0 ]; check "$size sweep: the plot takes the panels' place" $?
	grep -q "ε = mean relative law drift" "$TMP/sw.txt" && grep -q "τ = step size (log scale)" "$TMP/sw.txt"
	check "$size sweep: both axes named" $?
	grep -q "0\.001 .*0\.003 .*0\.01 .*0\.03" "$TMP/sw.txt"; check "$size sweep: x ticks at the swept τ values" $?
	grep -q "1e-[0-9]" "$TMP/sw.txt"; check "$size sweep: y decade labels" $?
	early=$(sed -n 's/.*│ o k=20 *slope \([0-9.]*\).*/\1/p' "$TMP/sw.txt" | head -n 1)
	late=$(sed -n 's/.*│ x k=200 *slope \([0-9.]*\).*/\1/p' "$TMP/sw.txt" | head -n 1)
	awk -v e="$early" 'BEGIN { exit !(e != "" && e > 1.8 && e < 2.2) }'
	check "$size sweep: early slope (marker o, k=20) shown near 2 ($early)" $?
	awk -v l="$late" -v e="$early" 'BEGIN { exit !(l != "" && l < e) }'
	check "$size sweep: late slope (marker x, k=200) shown, below the early one ($late)" $?
	grep -q "≈ τ²" "$TMP/sw.txt" && grep -q "τ² reference" "$TMP/sw.txt" && grep -q " τ²│" "$TMP/sw.txt"
	check "$size sweep: τ² reference line tagged and explained" $?
	grep -q "sweep: ε slope [0-9.]* at k=20" "$TMP/sw.txt"; check "$size sweep: slopes in the message line" $?
	typecmd $S 'overlay output'
	wait_for $S "OUTPUT" 20 && cap $S | grep -q "log-log slope of drift vs τ at k=20"; check "$size sweep: overlay output shows the table" $?
	T send-keys -t $S Escape
	wait_gone $S "OUTPUT" 20
	cap $S | grep -q "DRIFT vs τ"; check "$size sweep: Esc on the table returns to the plot" $?
	T send-keys -t $S Escape
	wait_for $S "CONSERVED" 20 && ! cap $S | grep -q "DRIFT vs τ"; check "$size sweep: Esc hides the plot, panels back" $?
	typecmd $S 'sweep show'
	wait_for $S "DRIFT vs τ" 20; check "$size sweep: sweep show brings it back" $?
	typecmd $S 'sweep off'
	wait_for $S "CONSERVED" 20 && ! cap $S | grep -q "DRIFT vs τ"; check "$size sweep: sweep off discards it" $?
	typecmd $S 'sweep show'
	wait_for $S "no sweep to plot" 20; check "$size sweep: nothing left to show after sweep off" $?
	quit_clean $S "$size sweep"
done
S=sswa
start $S 80 24 -- --no-unicode
typecmd $S 'sweep tau 1e-3 1e-2 steps=100' 1
wait_for $S "DRIFT vs tau (log-log)" 100; check "--no-unicode sweep: plot titled in ASCII" $?
cap $S > "$TMP/swa.txt"
LC_ALL=C grep -q "$(printf '[\200-\377]')" "$TMP/swa.txt"; [ $? != 0 ]; check "--no-unicode sweep: only ASCII" $?
grep -q "tau^2 reference" "$TMP/swa.txt" && grep -q " o k=10 *slope" "$TMP/swa.txt"; check "--no-unicode sweep: legend readable" $?
quit_clean $S "--no-unicode sweep"
S=sswg
start $S 80 24 -- gelu2
typecmd $S 'sweep tau 1e-3 1e-2 steps=50' 1
wait_for $S "error.*no conservation laws" 60 && ! cap $S | grep -q "DRIFT vs"; check "gelu2 sweep: refused in words (no laws to measure), no empty plot" $?
quit_clean $S "gelu2 sweep"

# ---- opt flow: time t instead of step k ------------------------------------
S=sflow
start $S 80 24
typecmd $S 'opt flow tol=1e-8'
typecmd $S 'step 30' 1
tflow() { cap "$1" | sed -n 's/.*│ t \([0-9.e+-]*\) (\([0-9,]*\) steps).*/\1 \2/p' | head -n 1; }
set -- $(tflow $S); t30=$1 k30=$2
[ "$k30" = 30 ] && gt "$t30" 0; check "opt flow: status bar shows time t and accepted steps (t $t30, $k30 steps)" $?
cap $S | grep -q "next h [0-9]"; check "opt flow: status bar shows the next step size h" $?
cap $S | grep -q "│ step [0-9]"; [ $? != 0 ]; check "opt flow: no step counter posing as the clock" $?
cap $S | grep -q "time t"; check "opt flow: plot x axes in time t" $?
cap $S | grep -q "step k"; [ $? != 0 ]; check "opt flow: no step axis" $?
cap $S | grep -q "budget"; [ $? != 0 ]; check "opt flow: no Σ τ² budget curve in continuous time" $?
tend=$(cap $S | grep "time t" | grep -o '[0-9.]*  *│' | head -n 1 | tr -d ' │')
[ -n "$tend" ] && [ "$tend" = "$t30" ]; check "opt flow: plot's last x label is the time t ($tend = $t30)" $?
typecmd $S 'step 30' 1
set -- $(tflow $S)
[ "$2" = 60 ] && gt "$1" "$t30"; check "opt flow: t advances with steps ($t30 -> $1)" $?
typecmd $S 'opt gd'
typecmd $S 'step 1'
cap $S | grep -q "step k" && cap $S | grep -q "│ step [0-9]"; check "opt gd: back to step k" $?
quit_clean $S "opt flow"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
