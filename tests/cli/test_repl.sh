#!/bin/sh
# test_repl.sh — the readline prompt (--repl) driven through tmux: tab
# completion of commands and layer kinds, commands run, history written to
# $XDG_STATE_HOME/noether/history. Skipped where tmux is missing.
BIN=${NOETHER_BIN:-./noether}
pass=0; fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
no() { fail=$((fail + 1)); echo "not ok - $1"; }
if ! command -v tmux >/dev/null 2>&1; then echo "skip - tmux missing"; echo "0 passed, 0 failed"; exit 0; fi
T=$(mktemp -d); L=noether-repl-$$
trap 'tmux -L $L kill-server 2>/dev/null; rm -rf "$T"' EXIT
tmux -L $L new -d -s r -x 100 -y 30 "XDG_STATE_HOME=$T $BIN --repl"
cap() { tmux -L $L capture-pane -p -t r; }
wait_for() { i=0; while [ $i -lt 40 ]; do cap | grep -q "$1" && return 0; sleep 0.1; i=$((i + 1)); done; return 1; }
wait_for "noether>" && ok "prompt appears" || no "prompt appears"
tmux -L $L send-keys -t r 'preset relu' Tab '2' Enter
wait_for "32 laws checked" && ok "tab completes 'preset relu' and the preset loads" || no "preset via completion"
tmux -L $L send-keys -t r 'prin' Tab 'step' Enter
wait_for "^step = 0" && ok "tab completes a unique command (prin -> print)" || no "completion of print"
tmux -L $L send-keys -t r 'step 25' Enter 'print step' Enter
wait_for "^step = 25" && ok "commands run at the prompt" || no "commands run at the prompt"
tmux -L $L send-keys -t r 'layer sw' Tab
wait_for "layer swiglu" && ok "tab completes layer kinds" || no "tab completes layer kinds"
tmux -L $L send-keys -t r C-u C-d
sleep 0.5
grep -q "^step 25$" "$T/noether/history" 2>/dev/null && ok "history file written" || no "history file written"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
