#!/bin/sh
# test_signals.sh — every default-fatal signal leaves the terminal as it was:
# the screen is started in tmux, a signal ends it (Ctrl-\ typed for QUIT,
# kill for the others), and the pane must show the shell again with the
# alternate screen off, the cursor visible and the tty back in cooked mode
# (icanon, echo), and the exit status 128 + the signal's number.
# Skips cleanly (0 passed, 0 failed) when tmux is not installed.
# Run from the repository root; the binary is $NOETHER_BIN (default ./noether).
. tests/screen/harness.inc

# try NAME HOW STATUS: HOW is "key C-\\" or "kill -SIG"
try() {
	S="sig$1"
	shell "$S" 80 24
	T send-keys -t "$S" "clear; '$BIN'; echo DONE-\$?" Enter
	if ! wait_for "$S" "CONSERVED" 80; then
		nok "$1: the screen did not start"
		T kill-session -t "$S" >/dev/null 2>&1
		return
	fi
	T send-keys -t "$S" ' '          # running: the signal comes mid-run
	sleep 0.3
	case $2 in
	key) T send-keys -t "$S" "$3" ;;
	kill)
		sh_pid=$(T display -p -t "$S" '#{pane_pid}')
		pid=$(ps -o pid= --ppid "$sh_pid" 2>/dev/null | tr -d ' ' | head -n 1)
		[ -n "$pid" ] && kill "-$1" "$pid" ;;
	esac
	if wait_for "$S" "DONE-$4" 50; then ok "$1 ends the screen with status $4"
	else nok "$1 ends the screen with status $4 (pane: $(cap "$S" | grep DONE | head -1))"; fi
	[ "$(T display -p -t "$S" '#{alternate_on}')" = 0 ] && ok "$1: alternate screen off" || nok "$1: alternate screen off"
	[ "$(T display -p -t "$S" '#{cursor_flag}')" = 1 ] && ok "$1: cursor visible" || nok "$1: cursor visible"
	# the pane echoes the typed line at once: wait for the output, STTY-2
	T send-keys -t "$S" "stty -a > '$TMP/stty.$1'; echo STTY-\$((1 + 1))" Enter
	wait_for "$S" "^STTY-2" 50
	if grep -q -- ' icanon' "$TMP/stty.$1" 2>/dev/null && grep -q -- ' echo ' "$TMP/stty.$1"; then ok "$1: tty back in cooked mode"
	else nok "$1: tty back in cooked mode (stty -a did not run, or shows raw mode)"; fi
	cap "$S" | grep -q "CONSERVED" && nok "$1: no screen content left" || ok "$1: no screen content left"
	T kill-session -t "$S" >/dev/null 2>&1
}

try QUIT key 'C-\' 131
try USR1 kill - 138
try USR2 kill - 140
try PIPE kill - 141
finish
