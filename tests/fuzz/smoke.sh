#!/bin/sh
# smoke.sh — runs every libFuzzer harness of build-fuzz/fuzz/ for a short,
# bounded time (FUZZ_TIME seconds each, default 5) over its seed corpus and
# dictionary; a crash, a sanitizer report, a leak or an input slower than
# FUZZ_TIMEOUT seconds (default 20) fails it, and the input is kept in
# build-fuzz/artifacts/. Prints each harness's executions. Skipped, with a
# note, when the harnesses were not built (no clang: make fuzz needs it).
# Run from the repository root: sh tests/fuzz/smoke.sh [BUILD_DIR]
FB=${1:-build-fuzz}
TIME=${FUZZ_TIME:-5}
TIMEOUT=${FUZZ_TIMEOUT:-20}
pass=0; fail=0
if [ ! -x "$FB/fuzz/fuzz_script" ]; then
	echo "# skip: no fuzz harnesses in $FB/fuzz (make fuzz needs clang)"
	echo "0 passed, 0 failed"
	exit 0
fi
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
mkdir -p "$FB/artifacts"
S=tests/fuzz/seeds
# harness, dictionary, seed directories
while read -r name dict seeds; do
	bin="$FB/fuzz/$name"
	[ -x "$bin" ] || { fail=$((fail + 1)); echo "not ok - $name: not built"; continue; }
	mkdir -p "$T/$name"
	# shellcheck disable=SC2086
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	"$bin" -max_total_time="$TIME" -timeout="$TIMEOUT" -rss_limit_mb=2048 -print_final_stats=1 \
		-dict="tests/fuzz/dict/$dict" -artifact_prefix="$FB/artifacts/$name-" "$T/$name" $seeds >"$T/$name.log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$T/$name.log")
	cov=$(grep -o 'cov: [0-9]*' "$T/$name.log" | tail -1)
	if [ $rc -eq 0 ]; then
		pass=$((pass + 1)); echo "ok - $name: ${runs:-?} runs in ${TIME} s, $cov"
	else
		fail=$((fail + 1)); echo "not ok - $name: exit $rc after ${runs:-?} runs"
		grep -E 'ERROR|SUMMARY|runtime error|Test unit written|deadly|timeout' "$T/$name.log" | head -12
		grep -A12 '^    #0' "$T/$name.log" | head -14
	fi
done <<EOF
fuzz_script script.dict $S/script presets tests/scripts
fuzz_recording script.dict $S/recording $S/script presets
fuzz_expr expr.dict $S/expr
fuzz_csv csv.dict $S/csv
fuzz_safetensors safetensors.dict $S/safetensors tests/bridge/sgd tests/bridge/adam tests/bridge/bad
fuzz_map map.dict $S/map
EOF
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
