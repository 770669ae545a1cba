#!/bin/sh
# test_record.sh — recordings are complete, portable scripts (issue 13, item
# 3): a session recorded on the gelu2 screen (keys, typed steps, a sourced
# file, a run) starts with its preset, holds the sourced file inline, and
# ends at the same θ — bit for bit — when run headless with -b and when
# replayed on the screen with --replay (which starts on relu2).
# Run from the repository root; the binary is $NOETHER_BIN (default ./noether).
. tests/screen/harness.inc

# the tensor bytes of a safetensors file (after the 8-byte length and the header)
data_of() {
	n=$(od -An -t u8 -N 8 "$1" | tr -d ' ')
	tail -c +$((n + 9)) "$1"
}

printf 'schedule const 0.02\nstep 3\n' > "$TMP/extra.nt"
S=rec
start $S 80 24 -- gelu2 --record "$TMP/r.nt"
T send-keys -t $S n
sleep 0.3
T send-keys -t $S n
sleep 0.3
typecmd $S 'step 17'
typecmd $S "source $TMP/extra.nt"
T send-keys -t $S ' '
sleep 0.8
T send-keys -t $S ' '
wait_for $S "PAUSED" 20
typecmd $S 'step 5'
typecmd $S "save params $TMP/theta.safetensors"
wait_for $S "wrote" 20
cp "$TMP/theta.safetensors" "$TMP/live.safetensors"
live_step=$(step_of $S)
quit_clean $S "record"

grep -v '^#' "$TMP/r.nt" | head -n 1 | grep -qx 'preset gelu2'; check "the recording starts with the preset it was made on" $?
grep -q '^source' "$TMP/r.nt"; [ $? != 0 ]; check "no reference to the sourced file" $?
grep -A2 "^# source $TMP/extra.nt (inlined)" "$TMP/r.nt" | grep -q '^schedule const 0.02'; check "the sourced file is inlined" $?
grep -q '^step 17$' "$TMP/r.nt" && grep -q '^step 5$' "$TMP/r.nt"; check "typed steps are recorded as the steps run" $?

rm -f "$TMP/theta.safetensors"
"$BIN" -b "$TMP/r.nt" >"$TMP/b.out" 2>&1; check "noether -b runs the recording (exit 0)" $?
data_of "$TMP/live.safetensors" > "$TMP/live.bin"
data_of "$TMP/theta.safetensors" > "$TMP/b.bin" 2>/dev/null
[ -s "$TMP/live.bin" ] && cmp -s "$TMP/live.bin" "$TMP/b.bin"; check "-b ends at the live θ, bit for bit (step $live_step)" $?

rm -f "$TMP/theta.safetensors"
S=rep
start $S 80 24 -- --replay "$TMP/r.nt"
wait_for $S "replay finished" 200; check "--replay runs to the end" $?
[ "$(step_of $S)" = "$live_step" ]; check "--replay: the same step count ($(step_of $S) = $live_step)" $?
cap $S | head -n 1 | grep -q "gelu"; check "--replay: on the recorded preset (gelu), not relu2" $?
data_of "$TMP/theta.safetensors" > "$TMP/rep.bin" 2>/dev/null
[ -s "$TMP/live.bin" ] && cmp -s "$TMP/live.bin" "$TMP/rep.bin"; check "--replay ends at the live θ, bit for bit" $?
quit_clean $S "replay"

finish
