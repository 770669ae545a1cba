#!/bin/sh
# bench/compare_commits.sh — steps/s of an earlier commit against the current
# tree, measured the same way for both and interleaved.
#   sh bench/compare_commits.sh [-r ROUNDS] [-t SECONDS] REV [CONFIG ...]
# REV is built in a temporary git worktree, the current tree (with uncommitted
# changes) as it is; both with the same flags (OPT=-O2, as `make bench`), into
# a temporary directory removed at the end. Both binaries are then driven by the same
# command lines, through the scripting interface alone, so the measurement does
# not depend on either commit's API or bench code:
#   base:  noether -e 'SETUP; step 1'           (set-up, law checks)
#   full:  noether -e 'SETUP; step 1; step N'
#   rate = N / (time(full) - time(base))
# SETUP is a preset's commands up to its `checks` line, read from the current
# tree's presets/ (so both commits run the same experiment even if a preset
# changed in between), or for `w=W` a ReLU net 10-W-1 on teacher data (n=64).
# N is chosen once (on the current tree) so that the steps take about SECONDS
# (default 1). Every round times every config on both binaries back to back,
# the order of the two alternating from round to round. Printed per config:
# the median steps/s of each with min–max over ROUNDS (default 5, at least 5
# for a verdict), the ratio of the medians, and the median of the per-round
# ratios new/old ("paired"), with PASS when that is >= 0.95 (the current tree
# within 5% of REV, or faster). The verdict is on the paired ratio because the
# machine's speed drifts during a run (on a shared 2-core VM we have seen the
# same binary's rate vary 1.5x between rounds): the two runs of a round see
# nearly the same machine, so their ratio cancels the drift that the ratio of
# medians keeps.
# Default CONFIGs: every preset that trains full batch on >= 64 samples of
# data that is not augmented.
set -u
cd "$(dirname "$0")/.." || exit 1
ROUNDS=5
SECS=1
while [ $# -gt 0 ]; do
	case $1 in
	-r) ROUNDS=$2; shift 2 ;;
	-t) SECS=$2; shift 2 ;;
	-h|--help) sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "compare_commits: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
if [ $# -lt 1 ]; then
	echo "usage: sh bench/compare_commits.sh [-r ROUNDS] [-t SECONDS] REV [CONFIG ...]" >&2
	exit 2
fi
REV=$1; shift
if ! git rev-parse --verify --quiet "$REV^{commit}" >/dev/null; then
	echo "compare_commits: '$REV' is not a commit here" >&2
	exit 2
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/noether-cmp.XXXXXX") || exit 1
wt=$tmp/rev
cleanup() {
	git worktree remove --force "$wt" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# setup NAME: the commands of a config on one line, separated by ';'
setup() {
	case $1 in
	w=*)
		w=${1#w=}
		tau=$(awk -v w="$w" 'BEGIN { printf "%.6g", w <= 32 ? 0.05 : 1.6 / w }')
		echo "data teacher n=64 in=10 out=1 hidden=8 seed=1; layer dense $w; layer relu; layer dense 1; loss mse; init normal seed=2; opt gd; schedule const $tau"
		;;
	*)
		[ -f "presets/$1.nt" ] || return 1
		awk '/^[ \t]*checks[ \t]*$/ { exit } { sub(/#.*/, ""); gsub(/^[ \t]+|[ \t]+$/, "") } NF { printf "%s%s", sep, $0; sep = "; " }' "presets/$1.nt"
		;;
	esac
}

# full batch (no `opt sgd`), n >= 64, no augmentation
default_configs() {
	for f in presets/*.nt; do
		awk '/^[ \t]*checks/ { exit } /^[ \t]*opt[ \t]+sgd/ { bad = 1 } /^[ \t]*augment/ { bad = 1 }
		     /^[ \t]*data/ { for (i = 1; i <= NF; i++) if ($i ~ /^n=/) n = substr($i, 3) + 0 }
		     END { exit (bad || n < 64) }' "$f" && basename "$f" .nt
	done
}

[ $# -gt 0 ] || set -- $(default_configs)

echo "building $REV in a temporary worktree ..."
git worktree add --detach "$wt" "$REV" >/dev/null 2>&1 || { echo "compare_commits: git worktree add failed" >&2; exit 1; }
if ! make -C "$wt" -j2 OPT=-O2 BUILD="$tmp/old" BIN="$tmp/old/noether" "$tmp/old/noether" >"$tmp/build-old.log" 2>&1; then
	tail -20 "$tmp/build-old.log"; echo "compare_commits: building $REV failed" >&2; exit 1
fi
echo "building the current tree ..."
if ! make -j2 OPT=-O2 BUILD="$tmp/new" BIN="$tmp/new/noether" "$tmp/new/noether" >"$tmp/build-new.log" 2>&1; then
	tail -20 "$tmp/build-new.log"; echo "compare_commits: building the current tree failed" >&2; exit 1
fi
OLD=$tmp/old/noether
NEW=$tmp/new/noether
old_id=$(git rev-parse --short "$REV")
new_id="$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- 2>/dev/null || echo '+changes')"

now() { date +%s.%N; }
# seconds BIN SCRIPT: wall time of one run (fails if the run fails)
seconds() {
	t0=$(now)
	"$1" -e "$2" >/dev/null 2>"$tmp/err" || { echo "compare_commits: $1 -e '$2' failed: $(head -3 "$tmp/err")" >&2; return 1; }
	t1=$(now)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }'
}
# rate BIN SETUP N: steps/s of N steps, set-up time subtracted
rate() {
	b=$(seconds "$1" "$2; step 1") || return 1
	f=$(seconds "$1" "$2; step 1; step $3") || return 1
	awk -v b="$b" -v f="$f" -v n="$3" 'BEGIN { d = f - b; printf "%.1f", (d > 0) ? n / d : 0 }'
}

echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
: >"$tmp/rates"
: >"$tmp/steps"
for c in "$@"; do
	s=$(setup "$c") || { echo "compare_commits: no preset '$c' in presets/" >&2; exit 2; }
	# a config the old commit cannot build (a layer or option added since) is skipped
	if ! "$OLD" -e "$s; step 1" >/dev/null 2>"$tmp/err"; then
		echo "skipped $c: $old_id cannot run it ($(head -1 "$tmp/err"))"
		continue
	fi
	# calibrate N on the current tree: about SECS seconds of steps
	n=1000
	while :; do
		r=$(rate "$NEW" "$s" "$n") || exit 1
		# too short to time (rate 0: the steps took less than the set-up's
		# noise), or under a fifth of SECS: four times as many steps
		if awk -v r="$r" -v n="$n" 'BEGIN { exit !((r <= 0 || n / r < 0.2) && n < 1e8) }'; then
			n=$((n * 4))
		else
			n=$(awk -v r="$r" -v t="$SECS" 'BEGIN { printf "%d", r * t + 1 }')
			break
		fi
	done
	echo "$c $n" >>"$tmp/steps"
done

i=1
while [ "$i" -le "$ROUNDS" ]; do
	while read -r c n; do
		s=$(setup "$c")
		if [ $((i % 2)) = 1 ]; then
			ro=$(rate "$OLD" "$s" "$n") || exit 1; rn=$(rate "$NEW" "$s" "$n") || exit 1
		else
			rn=$(rate "$NEW" "$s" "$n") || exit 1; ro=$(rate "$OLD" "$s" "$n") || exit 1
		fi
		echo "$c old $ro" >>"$tmp/rates"
		echo "$c new $rn" >>"$tmp/rates"
		awk -v c="$c" -v o="$ro" -v n="$rn" 'BEGIN { if (o > 0 && n > 0) printf "%s pair %.6f\n", c, n / o }' >>"$tmp/rates"
	done <"$tmp/steps"
	echo "round $i of $ROUNDS done (load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null))"
	i=$((i + 1))
done

echo
echo "steps/s, medians of $ROUNDS interleaved rounds (min–max); old = $old_id, new = $new_id"
sort -k1,1 -k2,2 -k3,3g "$tmp/rates" | awk -v rounds="$ROUNDS" -v steps="$tmp/steps" '
function med(k,   m) { m = cnt[k]; return m % 2 ? v[k, (m + 1) / 2] : (v[k, m / 2] + v[k, m / 2 + 1]) / 2 }
BEGIN { while ((getline line < steps) > 0) { split(line, w, " "); order[++nc] = w[1]; nsteps[w[1]] = w[2] } }
$3 <= 0 { bad_runs++; next }   # set-up took longer than set-up plus steps: noise, dropped
{ k = $1 " " $2; v[k, ++cnt[k]] = $3 }
END {
	printf "%-14s %8s %24s %24s %7s %20s\n", "config", "steps", "old", "new", "new/old", "paired (min–max)"
	bad = 0
	for (i = 1; i <= nc; i++) {
		c = order[i]; o = c " old"; n = c " new"; pr = c " pair"
		ratio = med(o) > 0 ? med(n) / med(o) : 0
		paired = cnt[pr] ? med(pr) : 0
		verdict = rounds < 5 ? "(fewer than 5 rounds: no verdict)" : paired >= 0.95 ? "PASS" : "MISS"
		if (rounds >= 5 && paired < 0.95) bad++
		printf "%-14s %8d %24s %24s %6.3f  %19s  %s\n", c, nsteps[c],
		       sprintf("%.0f (%.0f–%.0f)", med(o), v[o, 1], v[o, cnt[o]]),
		       sprintf("%.0f (%.0f–%.0f)", med(n), v[n, 1], v[n, cnt[n]]), ratio,
		       sprintf("%.3f (%.2f–%.2f)", paired, v[pr, 1], v[pr, cnt[pr]]), verdict
	}
	if (bad_runs) printf "note: %d runs dropped (the timed steps were shorter than the noise of the set-up time: use -t)\n", bad_runs
	if (rounds >= 5) printf "%s every config within 5%% of the old commit or faster (%d short)\n", bad ? "MISS" : "PASS", bad
	exit bad ? 1 : 0
}'
