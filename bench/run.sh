#!/bin/sh
# bench/run.sh — `make bench`: runs every benchmark and prints a summary.
#   sh bench/run.sh [BUILD]     (BUILD defaults to build; binaries in BUILD/bench/)
# Order: the dgemm peak (one thread), steps/s of the presets (bench_step, FLOP
# fraction of the peak), the PyTorch reference for relu2-gd (Debian's python3-torch:
# /usr/bin/python3 if it imports torch, else python3 on PATH, else skipped with a
# note), then every other BUILD/bench/bench_* binary, output as is.
# Targets from the spec are printed PASS/MISS for information; the exit status is
# 0 unless a benchmark failed or crashed.
BUILD=${1:-build}
cd "$(dirname "$0")/.." || exit 1
BIN=$BUILD/bench
status=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/noether-bench.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

if [ ! -x "$BIN/bench_dgemm" ] || [ ! -x "$BIN/bench_step" ]; then
	echo "bench: $BIN/bench_dgemm or $BIN/bench_step missing (run: make bench)" >&2
	exit 1
fi

# run NAME CMD... : runs a benchmark, tees its output to $tmp/NAME, records failure
run() {
	name=$1; shift
	"$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
	rc=$?
	cat "$tmp/$name.out"
	[ -s "$tmp/$name.err" ] && sed 's/^/  (stderr) /' "$tmp/$name.err"
	echo "$rc" >"$tmp/$name.rc"
	return $rc
}

echo "== dgemm peak (1 thread) =="
run dgemm "$BIN/bench_dgemm" || { echo "bench: bench_dgemm failed (exit $(cat "$tmp/dgemm.rc"))"; status=1; }
peak=$(sed -n 's/^dgemm_peak_gflops=//p' "$tmp/dgemm.out")
echo

echo "== steps/s per preset (GD + law update + trace record) =="
if [ -n "$peak" ]; then
	run step "$BIN/bench_step" --peak "$peak"
else
	run step "$BIN/bench_step"
fi || { echo "bench: bench_step failed (exit $(cat "$tmp/step.rc"))"; status=1; }
echo

echo "== PyTorch reference (relu2-gd, float64, 1 thread) =="
py=
if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import torch' >/dev/null 2>&1; then
	py=/usr/bin/python3
elif command -v python3 >/dev/null 2>&1 && python3 -c 'import torch' >/dev/null 2>&1; then
	py=python3
fi
if [ -n "$py" ]; then
	run torch "$py" bench/torch_ref.py || { echo "bench: torch_ref.py failed (exit $(cat "$tmp/torch.rc"))"; status=1; }
else
	echo "skipped: no python3 here imports torch (install Debian's python3-torch for the reference figure)"
	: >"$tmp/torch.out"
fi
echo

for b in "$BIN"/bench_*; do
	[ -x "$b" ] || continue
	n=$(basename "$b")
	case $n in bench_dgemm|bench_step) continue ;; esac
	echo "== $n =="
	run "$n" "$b" || { echo "bench: $n failed (exit $(cat "$tmp/$n.rc"))"; status=1; }
	echo
done

echo "== summary =="
torch_sps=$(sed -n 's/^torch steps_per_s=\([0-9.]*\).*/\1/p' "$tmp/torch.out")
awk -v peak="${peak:-?}" -v torch="$torch_sps" '
function kv(key,   i, p) {
	for (i = 1; i <= NF; i++) { p = index($i, "="); if (substr($i, 1, p - 1) == key) return substr($i, p + 1) }
	return ""
}
BEGIN {
	printf "dgemm peak: %s GFLOP/s (1 thread)\n", peak
	printf "%-10s %9s %9s %10s %8s %8s %11s %8s  %-5s %12s %7s  %-5s %s\n", "preset", "steps/s", "(by CPU)", "FLOP/step",
	       "GFLOP/s", "of peak", "limit st/s", "of limit", ">=40%", "PyTorch st/s", "ratio", ">=10x", "allocs/step"
}
$1 == "step" && kv("error") != "" { printf "%-10s error: %s\n", kv("preset"), substr($0, index($0, "error=")) ; next }
$1 == "step" {
	# +0: kv() returns strings, which awk would compare as strings ("218828" < "64070")
	p = kv("preset"); sps = kv("median_steps_per_s") + 0; fl = kv("flops_per_step") + 0; frac = kv("frac_limit") + 0
	tr = "-"; ratio = "-"; tv = "-"
	if (p == "relu2-gd") {
		if (torch != "") { tr = sprintf("%.0f", torch); ratio = sprintf("%.1fx", sps / torch); tv = (sps >= 10 * torch) ? "PASS" : "MISS" }
		else { tr = "skipped" }
	}
	cpu = kv("cpu_steps_per_s") + 0; if (cpu > 0 && sps < 0.8 * cpu) busy = 1
	printf "%-10s %9.0f %9.0f %10.0f %8.2f %7.1f%% %11.0f %7.1f%%  %-5s %12s %7s  %-5s %s\n", p, sps, cpu, fl, kv("gflops"),
	       100 * kv("frac_peak"), kv("limit_steps_per_s"), 100 * frac, (frac >= 0.4) ? "PASS" : "MISS", tr, ratio, tv,
	       (kv("allocs_per_step") + 0 == 0) ? "0 (PASS)" : kv("allocs_per_step") " (MISS)"
}
END {
	if (busy)
		print "warning: wall-clock rates are below 80% of the CPU-time rates: the machine was busy, figures are low"
	print "FLOP/step: counted per block by bench_step (parameter contractions, attention scores, update,"
	print "quantities); the limit is peak / FLOP-per-step. Targets (SPEC): >= 40% of the limit per preset,"
	print ">= 10x PyTorch steps/s on tiny models, no allocation inside a step. PASS/MISS is informational."
}' "$tmp/step.out"
exit $status
