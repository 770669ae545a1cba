#!/bin/sh
# bench/run.sh — `make bench`: steps/s of every full-batch preset and of ReLU
# nets 10-W-1 (W = 8 ... 2048) against the machine's limit and against PyTorch.
#   sh bench/run.sh [BUILD]     (BUILD defaults to build; binaries in BUILD/bench/)
# Environment: BENCH_ROUNDS (default 5), BENCH_MIN_TIME (seconds per timed run,
# default 0.25), BENCH_CONFIGS (space-separated configs, default: bench_step --list),
# BENCH_THREADS=0 skips the --threads 2 comparison, BENCH_TORCH=0 skips PyTorch.
#
# Order: the one-thread dgemm peak; the configs exported for the PyTorch twin
# and its same-model check (bench/torch_ref.py with Debian's python3-torch:
# /usr/bin/python3 if it imports torch, else python3 on PATH, else skipped with
# a note); then ROUNDS rounds, each timing every config once in noether
# (bench_step) and once in PyTorch float64 and float32, so load on the machine
# falls on all of them alike (and the dgemm peak once, whose median the limits
# divide by); then 1 vs 2 BLAS threads on the wide nets; then
# every other BUILD/bench/bench_* binary as is. The summary gives medians over
# the rounds with min–max, and PASS/MISS per target (SPEC, issue 16): >= 40% of
# the FLOP limit for every full-batch preset, >= 45% for every width, >= 10x
# PyTorch float64 on the tiny relu2 net, no allocation inside a step, every
# step traced (stride 1). The exit status is 0 unless a benchmark failed.
BUILD=${1:-build}
cd "$(dirname "$0")/.." || exit 1
BIN=$BUILD/bench
ROUNDS=${BENCH_ROUNDS:-5}
MINT=${BENCH_MIN_TIME:-0.25}
status=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/noether-bench.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

if [ ! -x "$BIN/bench_dgemm" ] || [ ! -x "$BIN/bench_step" ]; then
	echo "bench: $BIN/bench_dgemm or $BIN/bench_step missing (run: make bench)" >&2
	exit 1
fi

# run NAME CMD... : runs a benchmark, appends its output to $tmp/NAME.out (and
# shows it when SHOW=1), stderr indented; records failure in status
run() {
	name=$1; shift
	"$@" >"$tmp/last.out" 2>"$tmp/last.err"
	rc=$?
	cat "$tmp/last.out" >>"$tmp/$name.out"
	[ "${SHOW:-0}" = 1 ] && cat "$tmp/last.out"
	[ -s "$tmp/last.err" ] && sed 's/^/  (stderr) /' "$tmp/last.err" | grep -v 'UserWarning\|warnings.warn' >&2
	if [ $rc -ne 0 ]; then
		echo "bench: $name failed (exit $rc)"
		grep 'error=' "$tmp/last.out" | head -5
		status=1
	fi
	return $rc
}

load() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?"; }
echo "== machine =="
echo "cpu: $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo 2>/dev/null | head -1), $(nproc 2>/dev/null || echo ?) cores; load average at start: $(load)"
echo

echo "== dgemm peak (1 thread) =="
SHOW=1 run dgemm "$BIN/bench_dgemm"
peak=$(sed -n 's/^dgemm_peak_gflops=//p' "$tmp/dgemm.out")
[ -n "$peak" ] || peak=0
echo

configs=${BENCH_CONFIGS:-$("$BIN/bench_step" --list)}
# shellcheck disable=SC2086
set -- $configs

py=
if [ "${BENCH_TORCH:-1}" != 0 ]; then
	if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import torch' >/dev/null 2>&1; then
		py=/usr/bin/python3
	elif command -v python3 >/dev/null 2>&1 && python3 -c 'import torch' >/dev/null 2>&1; then
		py=python3
	fi
fi
echo "== PyTorch twin: same model, data, θ0 and quantities (float64, 10 steps) =="
if [ -n "$py" ]; then
	mkdir -p "$tmp/cfg"
	if run export "$BIN/bench_step" --export "$tmp/cfg" "$@"; then
		SHOW=1 run check "$py" bench/torch_ref.py --check --runs 0 --dtypes float64 "$tmp"/cfg/*.cfg
	else
		py=
	fi
else
	echo "skipped: no python3 here imports torch (install Debian's python3-torch for the reference figures)"
fi
echo

echo "== $ROUNDS rounds: every config once per round in noether, PyTorch float64 and float32 =="
r=1
while [ "$r" -le "$ROUNDS" ]; do
	extra=--no-breakdown
	[ "$r" = 1 ] && extra=
	run dgemm "$BIN/bench_dgemm"
	run noether "$BIN/bench_step" --peak "$peak" --runs 1 --min-time "$MINT" --raw $extra "$@"
	if [ -n "$py" ]; then
		run torch "$py" bench/torch_ref.py --runs 1 --min-time "$MINT" "$tmp"/cfg/*.cfg
	fi
	echo "round $r done (load average $(load))"
	r=$((r + 1))
done
echo

if [ "${BENCH_THREADS:-1}" != 0 ]; then
	echo "== BLAS threads: 1 vs 2 on the wide nets ($ROUNDS rounds, interleaved) =="
	wides=
	for c in "$@"; do case $c in w=*) wides="$wides $c" ;; esac; done
	if [ -n "$wides" ]; then
		# shellcheck disable=SC2086
		run threads "$BIN/bench_step" --peak "$peak" --runs "$ROUNDS" --min-time "$MINT" --threads 1,2 --no-breakdown $wides
		awk '$1 == "step" {
			for (i = 2; i <= NF; i++) { p = index($i, "="); v[substr($i, 1, p - 1)] = substr($i, p + 1) }
			printf "%-10s threads=%s  %9.0f steps/s (%.0f–%.0f)\n", v["label"], v["threads"], v["median_steps_per_s"],
			       v["min_steps_per_s"], v["max_steps_per_s"]
		}' "$tmp/threads.out"
	fi
	echo
fi

for b in "$BIN"/bench_*; do
	[ -x "$b" ] || continue
	n=$(basename "$b")
	case $n in bench_dgemm|bench_step) continue ;; esac
	echo "== $n =="
	SHOW=1 run "$n" "$b"
	echo
done

# the peak the limits divide by: median over the start and every round
peak=$(sed -n 's/^dgemm_peak_gflops=//p' "$tmp/dgemm.out" | sort -g | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
peaks=$(sed -n 's/^dgemm_peak_gflops=//p' "$tmp/dgemm.out" | sort -g | tr '\n' ' ')
echo "== summary (medians of $ROUNDS interleaved rounds, min–max; load average at end: $(load)) =="
echo "dgemm peak per round (GFLOP/s, sorted): $peaks"
touch "$tmp/noether.out" "$tmp/torch.out" "$tmp/threads.out" "$tmp/check.out"
sed 's/^step /tstep /' "$tmp/threads.out" | cat "$tmp/noether.out" "$tmp/torch.out" "$tmp/check.out" - | awk -v peak="$peak" -v rounds="$ROUNDS" '
function kv(key,   i, p) {
	for (i = 2; i <= NF; i++) { p = index($i, "="); if (substr($i, 1, p - 1) == key) return substr($i, p + 1) }
	return ""
}
# sorted insert of x into list name (n[name] values in val[name, 1..n])
function add(name, x,   i) {
	i = ++cnt[name]
	while (i > 1 && val[name, i - 1] > x) { val[name, i] = val[name, i - 1]; i-- }
	val[name, i] = x
}
function med(name,   m) {
	m = cnt[name]
	if (!m) return 0
	return m % 2 ? val[name, (m + 1) / 2] : (val[name, m / 2] + val[name, m / 2 + 1]) / 2
}
function lo(name) { return val[name, 1] }
function hi(name) { return val[name, cnt[name]] }
$1 == "run" && kv("threads") == 1 { c = kv("config"); add("n:" c, kv("steps_per_s") + 0); add("c:" c, kv("cpu_steps_per_s") + 0)
	cpu["n:" c] += kv("cpu_steps_per_s"); wall["n:" c] += kv("steps_per_s") }
$1 == "step" && kv("error") != "" { err[kv("config")] = $0; next }
$1 == "step" && kv("threads") == 1 && !(kv("config") in seen) {
	c = kv("config"); seen[c] = 1; order[++nc] = c
	label[c] = kv("label"); target[c] = kv("target") + 0; flops[c] = kv("flops_per_step") + 0
	allocs[c] += kv("allocs_per_step") + 0; stride[c] = kv("trace_stride") + 0
}
$1 == "step" && kv("threads") == 1 { a = kv("allocs_per_step") + 0; if (a > allocs[kv("config")]) allocs[kv("config")] = a
	s = kv("trace_stride") + 0; if (s > stride[kv("config")]) stride[kv("config")] = s }
$1 == "tstep" && kv("threads") == 1 { last1[kv("config")] = kv("median_steps_per_s") + 0 }
$1 == "tstep" && kv("threads") == 2 { c = kv("config"); t2[c] = kv("median_steps_per_s") + 0; t1[c] = last1[c]; t2l[c] = kv("label"); nt2++
	if (kv("allocs_per_step") + 0 > 0) t2alloc = t2alloc " " kv("label") "(" kv("allocs_per_step") ")" }
$1 == "breakdown" { bd[kv("config")] = sprintf("grad %s µs, quantities %s µs, rest %s µs of %s µs", kv("grad_us"), kv("quantities_us"), kv("other_us"), kv("step_us")) }
$1 == "torch" && kv("error") == "" { add("t" kv("dtype") ":" kv("config"), kv("steps_per_s") + 0); tver = kv("version") }
$1 == "check" { chk[kv("config")] = kv("loss_rel") " " kv("values_rel") " " $NF }
END {
	printf "dgemm peak %s GFLOP/s (1 thread, median); limit = peak / FLOP-per-step; every rate at trace stride 1 unless stated\n", peak
	printf "%-13s %22s %10s %8s %8s %-5s %8s %22s %9s %6s %6s\n", "config", "steps/s (min–max)", "FLOP/step", "GFLOP/s",
	       "of limit", "", "by CPU", "PyTorch f64 (min–max)", "f32", "÷f64", "÷f32"
	busy = 0
	for (i = 1; i <= nc; i++) {
		c = order[i]; k = "n:" c
		if (!cnt[k]) continue
		m = med(k); lim = peak * 1e9 / flops[c]; frac = lim > 0 ? m / lim : 0
		goal = (c ~ /^w=/) ? 0.45 : 0.40
		verdict = target[c] ? (frac >= goal ? "PASS" : "MISS") : "info"
		if (target[c]) { ntarget++; if (frac >= goal) npass++; else missed = missed " " label[c] }
		f64 = "t" "float64:" c; f32 = "t" "float32:" c
		tr = cnt[f64] ? sprintf("%.0f (%.0f–%.0f)", med(f64), lo(f64), hi(f64)) : "-"
		t32 = cnt[f32] ? sprintf("%.0f", med(f32)) : "-"
		r64 = cnt[f64] ? sprintf("%.1fx", m / med(f64)) : "-"
		r32 = cnt[f32] ? sprintf("%.1fx", m / med(f32)) : "-"
		cfrac = lim > 0 ? med("c:" c) / lim : 0
		printf "%-13s %22s %10.0f %8.2f %7.1f%% %-5s %7.1f%% %22s %9s %6s %6s\n", label[c],
		       sprintf("%.0f (%.0f–%.0f)", m, lo(k), hi(k)), flops[c], m * flops[c] * 1e-9, 100 * frac, verdict,
		       100 * cfrac, tr, t32, r64, r32
		if (cpu[k] > 0 && wall[k] < 0.8 * cpu[k]) busy = 1
		if (stride[c] > 1) strided = strided " " label[c] "(" stride[c] ")"
		if (allocs[c] > 0) alloc_bad = alloc_bad " " label[c]
		if (c == "relu2-gd" || (c == "relu2" && !("relu2-gd" in seen))) tiny = c
	}
	print ""
	for (c in err) print "error: " err[c]
	for (i = 1; i <= nc; i++) if (order[i] in bd) printf "breakdown %-13s %s\n", label[order[i]], bd[order[i]]
	print ""
	printf "%s FLOP limit: %d of %d full-batch configs reach their share (presets >= 40%%, 10-W-1 >= 45%%)%s\n",
	       (npass == ntarget && ntarget) ? "PASS" : "MISS", npass, ntarget, (missed != "") ? "; short:" missed : ""
	if (tiny != "") {
		f64 = "t" "float64:" tiny
		if (cnt[f64]) printf "%s %s >= 10x PyTorch float64 (%.1fx)\n", (med("n:" tiny) >= 10 * med(f64)) ? "PASS" : "MISS", label[tiny], med("n:" tiny) / med(f64)
		else print "info PyTorch not run: no ratio for " label[tiny]
	}
	printf "%s no allocation inside a step%s\n", (alloc_bad == "") ? "PASS" : "MISS", (alloc_bad == "") ? "" : ":" alloc_bad
	printf "%s every timed step traced at stride 1%s\n", (strided == "") ? "PASS" : "MISS", (strided == "") ? "" : ", not:" strided
	nchk = 0; badchk = ""
	for (c in chk) { nchk++; split(chk[c], w, " "); if (w[3] != "ok") badchk = badchk " " c }
	if (nchk) printf "%s PyTorch twin runs the same model: loss and every quantity after 10 steps agree (%d configs)%s\n",
	                 (badchk == "") ? "PASS" : "MISS", nchk, (badchk == "") ? "" : "; differ:" badchk
	first2 = ""
	for (i = 1; i <= nc; i++) { c = order[i]; if ((c in t2) && (c in t1) && t2[c] > t1[c] && first2 == "") first2 = t2l[c] }
	if (t2alloc != "") printf "info with 2 BLAS threads OpenBLAS allocates inside its threaded products (per step):%s\n", t2alloc
	if (nt2) printf "info BLAS threads: 2 threads beat 1 %s\n", (first2 == "") ? "at no width measured" : "from " first2 " on (first width where the median is higher)"
	if (busy) print "warning: wall-clock rates below 80% of the CPU-time rates: the machine was busy, figures are low (\"by CPU\": the share from the median rate by process CPU time)"
	if (tver != "") printf "PyTorch %s, one thread, autograd, the quantities vectorised (bench/torch_ref.py)\n", tver
}'
exit $status
