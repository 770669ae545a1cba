#!/bin/sh
# test_bridge.sh — `laws checkpoints` from the outside: follow picks up
# checkpoints written after it started (one renamed into place, one written
# in two goes) and prints one CSV row per checkpoint; the CSV file; and the
# PyTorch side (scripts/torch_checkpoints.py) under DDP with two gloo processes,
# where Debian's python3-torch is installed (skipped with a note otherwise).
# Every background process runs under a timeout.
BIN=${NOETHER_BIN:-./noether}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
pass=0; fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
no() { fail=$((fail + 1)); echo "not ok - $1"; }
rows() { n=$(grep -c '^[0-9]' "$1" 2>/dev/null); echo "${n:-0}"; }
G=tests/bridge/gqa

# --- follow: two checkpoints at the start, a third renamed in, a fourth in two goes
mkdir "$T/run"
cp -r "$G/checkpoint-0" "$G/checkpoint-60" "$T/run/"
timeout 120 "$BIN" -e "laws checkpoints $T/run follow every=0.2 idle=3 csv=$T/full.csv" >"$T/out" 2>"$T/err" &
pid=$!
i=0; while [ "$(rows "$T/out")" -lt 2 ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
[ "$(rows "$T/out")" -eq 2 ] && ok "follow: a row per checkpoint present at the start" || no "follow: first rows (got $(rows "$T/out"))"
cp -r "$G/checkpoint-120" "$T/run/.checkpoint-120.tmp" && mv "$T/run/.checkpoint-120.tmp" "$T/run/checkpoint-120"
i=0; while [ "$(rows "$T/out")" -lt 3 ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
[ "$(rows "$T/out")" -eq 3 ] && ok "follow: picks up a checkpoint written after it started" || no "follow: third row missing"
# written in place in two goes: index and first shard, then (a moment later) the second
mkdir "$T/run/checkpoint-180"
cp "$G/checkpoint-180/config.json" "$G/checkpoint-180/model.safetensors.index.json" \
   "$G/checkpoint-180/model-00001-of-00002.safetensors" "$T/run/checkpoint-180/"
sleep 0.7
cp "$G/checkpoint-180/model-00002-of-00002.safetensors" "$T/run/checkpoint-180/"
wait $pid; rc=$?
[ $rc -eq 0 ] && ok "follow: stops when idle, exit 0" || { no "follow: exit $rc"; cat "$T/err"; }
[ "$(rows "$T/out")" -eq 4 ] && ok "follow: a checkpoint written in two goes is waited for, then read" \
	|| { no "follow: 4 rows (got $(rows "$T/out"))"; cat "$T/out" "$T/err"; }
[ ! -s "$T/err" ] && ok "follow: nothing refused" || { no "follow: messages on stderr"; cat "$T/err"; }
awk -F, '/^[0-9]/ { s = s $1 " " } END { exit s != "0 60 120 180 " }' "$T/out" && ok "follow: rows in step order 0 60 120 180" \
	|| no "follow: steps $(awk -F, '/^[0-9]/ { printf "%s ", $1 }' "$T/out")"
grep -q '^step,file,law_max,law_mean,contrast_median,floor_max,qk.max,vo.max,mlp.max,layer0.attn.eps' "$T/out" \
	&& ok "follow: CSV header" || no "follow: CSV header"
grep -q '^# map: attention layer{i}.attn .* heads=8 kv_heads=2 head_dim=8 rope=half layers=0-3' "$T/out" \
	&& ok "follow: the inferred map in the # lines" || no "follow: map lines"
grep -q "^# stopped: no new checkpoint for 3 s" "$T/out" && ok "follow: says why it stopped" || no "follow: stop line"
[ "$(rows "$T/full.csv")" -eq 4 ] && head -c 2000000 "$T/full.csv" | grep -q ',law:layer0.attn.g0.plane0,' \
	&& ok "follow: csv= gets the full rows as they come" || no "follow: csv file"

# --- csv= without follow: written whole; refusals name the file
"$BIN" -e "laws checkpoints $G csv=$T/a.csv" >/dev/null 2>"$T/err"; rc=$?
[ $rc -eq 0 ] && [ "$(rows "$T/a.csv")" -eq 11 ] && ok "csv: one row per checkpoint" || { no "csv (exit $rc)"; cat "$T/err"; }
head -c 100 "$G/checkpoint-0/model-00002-of-00002.safetensors" > "$T/cut.safetensors"
"$BIN" -e "laws checkpoints $T/cut.safetensors" >/dev/null 2>"$T/err"; rc=$?
[ $rc -eq 1 ] && grep -q "cut.safetensors: truncated safetensors file: header says" "$T/err" \
	&& ok "a truncated shard is refused, file named, exit 1" || { no "truncated shard (exit $rc)"; cat "$T/err"; }
"$BIN" -e "laws checkpoints $T/run follow idle=x" >/dev/null 2>"$T/err"; rc=$?
[ $rc -eq 1 ] && grep -q "idle= needs a positive number" "$T/err" && ok "bad option value named" || no "bad idle="
"$BIN" -e "laws checkpoints $T/cut.safetensors idle=3" >/dev/null 2>"$T/err"; rc=$?
[ $rc -eq 1 ] && grep -q "go with follow" "$T/err" && ok "idle= without follow refused" || no "idle= without follow"

# --- the PyTorch side under DDP (two gloo processes), where torch is installed
py=
if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import torch, torch.distributed' >/dev/null 2>&1; then py=/usr/bin/python3; fi
if [ -n "$py" ]; then
	timeout 300 "$py" tests/bridge/ddp_check.py "$T/ddp" >"$T/py" 2>&1; rc=$?
	n=$(grep -c '^ok - ' "$T/py"); pass=$((pass + n))
	grep '^skip - ' "$T/py"
	if [ $rc -eq 0 ] && ! grep -q '^not ok' "$T/py"; then echo "ok - torch_checkpoints.py under DDP ($n checks)"
	else no "torch_checkpoints.py under DDP (exit $rc)"; cat "$T/py"; fi
	"$BIN" -e "laws checkpoints $T/ddp/ddp na=0" >"$T/o" 2>&1; rc=$?
	[ $rc -eq 0 ] && grep -q '^3 checkpoints (.*BF16)' "$T/o" && grep -q '^4 ' "$T/o" && grep -q 'heads=4 kv_heads=2 head_dim=4' "$T/o" \
		&& ok "noether reads what DDP rank 0 wrote (3 checkpoints, steps 0-4, inferred GQA map)" || { no "reading the DDP run"; cat "$T/o"; }
else
	echo "skip - torch_checkpoints.py under DDP: no /usr/bin/python3 with torch here (Debian: apt-get install python3-torch)"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
